// The global dispatcher switch: GET/PUT /api/v1/dispatcher (System Manager to change).
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { DISPATCHER_KEY, getDispatcher, setSetting } from "../db/settings";
import { methodsWithPending } from "../dispatch/attention";
import { wakeSchedulers } from "../dispatch/wake";
import { isSystemManager, type AppEnv, type User } from "./context";
import { forbidden, validationHook } from "./errors";
import { errorResponses } from "./schemas";

const DispatcherState = z
  .object({ enabled: z.boolean(), updated_at: z.string().nullable() })
  .openapi("DispatcherState");

/** Switches the dispatcher; resuming wakes every method with work waiting. */
export async function setDispatcher(env: Env, user: User, enabled: boolean) {
  if (!isSystemManager(user)) throw forbidden("only a System Manager can switch the dispatcher");
  const db = getDb(env);
  await setSetting(db, DISPATCHER_KEY, enabled ? "1" : "0", Date.now());
  if (enabled) await wakeSchedulers(env, await methodsWithPending(db));
  return dispatcherJson(env);
}

/** The dispatcher state as JSON. */
export async function dispatcherJson(env: Env) {
  const state = await getDispatcher(getDb(env));
  return {
    enabled: state.enabled,
    updated_at: state.updatedAt === null ? null : new Date(state.updatedAt).toISOString(),
  };
}

const json = { "application/json": { schema: DispatcherState } };

export const dispatcherApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Dispatcher state (can_dispatch_now)",
      responses: { 200: { description: "State", content: json }, ...errorResponses },
    }),
    async (c) => c.json(await dispatcherJson(c.env), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/",
      summary: "Suspend or resume dispatching (System Manager)",
      request: {
        body: { required: true, content: { "application/json": { schema: z.strictObject({ enabled: z.boolean() }) } } },
      },
      responses: { 200: { description: "New state", content: json }, ...errorResponses },
    }),
    async (c) => c.json(await setDispatcher(c.env, c.get("user"), c.req.valid("json").enabled), 200),
  );
