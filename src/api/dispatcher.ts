// The global dispatcher switch: GET/PUT /api/v1/dispatcher (System Manager to change).
import { createRoute, z } from "@hono/zod-openapi";
import { DispatcherState } from "../contract/ops";
import { dispatcherState, setDispatcher } from "../dispatch/switch";
import { errorResponses, json, requireRole, router } from "./router";

export const dispatcherApi = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Dispatcher state (can_dispatch_now)",
      responses: { 200: json(DispatcherState, "State"), ...errorResponses },
    }),
    async (c) => c.json(await dispatcherState(c.env), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/",
      summary: "Suspend or resume dispatching (System Manager)",
      middleware: [requireRole("System Manager")] as const,
      request: {
        body: { required: true, content: { "application/json": { schema: z.strictObject({ enabled: z.boolean() }) } } },
      },
      responses: { 200: json(DispatcherState, "New state"), ...errorResponses },
    }),
    async (c) => c.json(await setDispatcher(c.env, c.req.valid("json").enabled), 200),
  );
