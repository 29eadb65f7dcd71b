// The global dispatcher switch (Frappe Tweaks' toggle_dispatcher): off, no method's object admits
// anything new (running tasks finish); back on, they admit again. D1 keeps the switch; every
// method's object is told at once (an object asleep reads it when it wakes).
import { getDb } from "../db/client";
import { allMethods } from "../db/methods";
import { getDispatcher, setSetting } from "../db/settings";
import { eachObject } from "../live/client";
import { describeError, log } from "../shared/log";
import { DISPATCHER_KEY } from "../shared/states";

/** The dispatcher state as the API shows it. */
export async function dispatcherState(env: Env) {
  const state = await getDispatcher(getDb(env));
  return {
    enabled: state.enabled,
    updated_at: state.updatedAt === null ? null : new Date(state.updatedAt).toISOString(),
  };
}

/**
 * Switches the dispatcher (callers check the role) and tells every method's object before it
 * answers, so nothing is admitted after a suspend returns. An object that cannot be reached now
 * reads the switch from D1 the next time it wakes.
 */
export async function setDispatcher(env: Env, enabled: boolean) {
  const db = getDb(env);
  await setSetting(db, DISPATCHER_KEY, enabled ? "1" : "0", Date.now());
  await Promise.all(
    (await allMethods(db)).map((method) =>
      eachObject(env, method, (o) => o.configure({ dispatcherOn: enabled })).catch((error: unknown) =>
        log.error("could not tell an object about the dispatcher switch", { method, ...describeError(error) }),
      ),
    ),
  );
  return dispatcherState(env);
}
