// GET /api/v1/methods: what this deployment can run, with argument schemas and whether the caller may enqueue.
import { createRoute, z } from "@hono/zod-openapi";
import { registry } from "../methods";
import { hasAnyRole } from "../shared/user";
import { errorResponses, json, router } from "./router";

const MethodInfo = z
  .object({
    method: z.string(),
    description: z.string().nullable(),
    document_type: z.string().nullable(),
    document_action: z.string().nullable(),
    queue: z.string().nullable(),
    timeout: z.number().nullable(),
    roles: z.array(z.string()),
    can_enqueue: z.boolean(),
    arguments_schema: z.unknown(),
  })
  .openapi("Method");

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
    summary: "Registered methods",
    responses: {
      200: json(z.object({ data: z.array(MethodInfo), next_cursor: z.null() }), "Methods"),
      ...errorResponses,
    },
  }),
  (c) => {
    const user = c.get("user");
    const data = registry.list(c.env).map((m) => ({
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
    }));
    return c.json({ data, next_cursor: null }, 200);
  },
);
