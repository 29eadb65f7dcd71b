// GET /api/v1/methods: what this deployment can run, with argument schemas and whether the caller may enqueue.
import { createRoute, z } from "@hono/zod-openapi";
import { Method as MethodInfo } from "../contract/methods";
import { getDb } from "../db/client";
import { listTargets } from "../db/remote-targets";
import { registry } from "../catalog";
import { fromJson } from "../shared/json";
import { hasAnyRole } from "../shared/user";
import { errorResponses, json, router } from "./router";

/** The JSON Schema of a zod schema as an input (null when it cannot be represented). */
export function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch {
    return null;
  }
}

export const methodsApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Registered methods, and the remote targets' method patterns",
    responses: {
      200: json(z.object({ data: z.array(MethodInfo), next_cursor: z.null() }), "Methods"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const user = c.get("user");
    const local = registry.list(c.env).map((m) => ({
      method: m.method,
      description: m.description ?? null,
      document_type: m.documentType ?? null,
      document_action: m.documentAction ?? null,
      queue: m.queue ?? null,
      timeout: m.timeout ?? null,
      roles: [...m.roles],
      // Report jobs are started through the report endpoints, never the task API.
      can_enqueue: m.startedBy === undefined && hasAnyRole(user, m.roles),
      arguments_schema: jsonSchema(m.args),
      remote_target: null,
      flow_control: (m.flow ?? null) as Record<string, unknown> | null,
    }));
    const remote = (await listTargets(getDb(c.env))).flatMap((t) => {
      const roles = fromJson(t.roles);
      return fromJson(t.allowedMethods).map((pattern) => ({
        method: `${t.name}:${pattern}`,
        description: `runs on ${t.name} (${t.kind})`,
        document_type: null,
        document_action: null,
        queue: null,
        timeout: t.timeoutS,
        roles: [...roles],
        can_enqueue: hasAnyRole(user, roles),
        arguments_schema: { type: "object" },
        remote_target: t.name,
        flow_control: null,
      }));
    });
    return c.json({ data: [...local, ...remote], next_cursor: null }, 200);
  },
);
