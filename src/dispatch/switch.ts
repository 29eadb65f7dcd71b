// The global dispatcher switch (Frappe Tweaks' toggle_dispatcher): off, nothing new is admitted;
// back on, every method with work waiting is woken.
import { getDb } from "../db/client";
import { getDispatcher, setSetting } from "../db/settings";
import { DISPATCHER_KEY } from "../shared/states";
import { methodsWithPending } from "./attention";
import { wakeSchedulers } from "./wake";

/** The dispatcher state as the API shows it. */
export async function dispatcherState(env: Env) {
  const state = await getDispatcher(getDb(env));
  return {
    enabled: state.enabled,
    updated_at: state.updatedAt === null ? null : new Date(state.updatedAt).toISOString(),
  };
}

/** Switches the dispatcher (callers check the role); resuming wakes every method with work waiting. */
export async function setDispatcher(env: Env, enabled: boolean) {
  const db = getDb(env);
  await setSetting(db, DISPATCHER_KEY, enabled ? "1" : "0", Date.now());
  if (enabled) await wakeSchedulers(env, await methodsWithPending(db));
  return dispatcherState(env);
}
