// Frappe-compatible endpoints under /api/method/…: same paths, parameters and {"message": …} bodies,
// so existing Frappe clients work by changing the base URL. Errors answer Frappe-style bodies.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import { setDispatcher } from "../tasks/dispatcher";
import { forbidden, invalid } from "../shared/errors";
import { isSystemManager } from "../shared/user";
import type { AppEnv } from "./context";

/**
 * Frappe whitelisted methods take their arguments from the query string, a form body or a JSON
 * body; later sources win, as in frappe.form_dict.
 */
export async function frappeArgs(c: Context): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = { ...c.req.query() };
  const type = c.req.header("content-type") ?? "";
  if (c.req.method !== "GET" && type.includes("application/json")) {
    const body: unknown = await c.req.json().catch(() => {
      throw invalid("bad_request", "malformed JSON body");
    });
    if (body && typeof body === "object" && !Array.isArray(body)) Object.assign(args, body);
  } else if (c.req.method !== "GET" && (type.includes("form-urlencoded") || type.includes("multipart/form-data"))) {
    // A multipart body without a boundary, or one that is cut short, makes the parser throw.
    const form = await c.req.parseBody().catch(() => {
      throw invalid("bad_request", "malformed form body: send valid multipart/form-data (with its boundary) or JSON");
    });
    for (const [k, v] of Object.entries(form)) if (typeof v === "string") args[k] = v;
  }
  return args;
}

/** Frappe's truthiness for flags that arrive as 1/0, true/false or "1"/"0". */
export function frappeFlag(value: unknown, name: string): boolean {
  if (value === true || value === 1 || value === "1" || value === "true" || value === "True") return true;
  if (value === false || value === 0 || value === "0" || value === "false" || value === "False") return false;
  throw invalid("validation_failed", `${name} must be 1 or 0`);
}

const TOGGLE = "/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher";

export const frappeApi = new Hono<AppEnv>().on(["GET", "POST"], TOGGLE, async (c) => {
  const args = await frappeArgs(c);
  if (!isSystemManager(c.get("user"))) throw forbidden("only a System Manager can switch the dispatcher");
  if (args.enable === undefined) throw invalid("validation_failed", "enable is required (1 or 0)");
  return c.json({ message: await setDispatcher(c.env, frappeFlag(args.enable, "enable")) });
});

const FrappeError = z
  .object({ exc_type: z.string(), message: z.string(), exception: z.string() })
  .openapi("FrappeError");

/** Lists a Frappe-compatible path (GET and POST) in the OpenAPI document. */
export function documentFrappePath(
  registry: OpenAPIHono<AppEnv>["openAPIRegistry"],
  path: string,
  summary: string,
  query: z.ZodObject,
  message: z.ZodType,
) {
  for (const method of ["get", "post"] as const) {
    registry.registerPath({
      method,
      path: `/api/method${path}`,
      summary,
      tags: ["Frappe-compatible"],
      request: { query },
      responses: {
        200: { description: "Frappe's envelope", content: { "application/json": { schema: z.object({ message }) } } },
        ...Object.fromEntries(
          [400, 401, 403, 404, 409, 410, 429].map((status) => [
            status,
            { description: "Frappe-style error", content: { "application/json": { schema: FrappeError } } },
          ]),
        ),
      },
    });
  }
}

/** The toggle_dispatcher path in the OpenAPI document. */
export function documentToggle(registry: OpenAPIHono<AppEnv>["openAPIRegistry"]) {
  documentFrappePath(
    registry,
    TOGGLE,
    "Suspend (enable=0) or resume (enable=1) dispatching (System Manager); Frappe Tweaks' toggle_dispatcher",
    z.object({ enable: z.enum(["0", "1"]) }),
    z.object({ enabled: z.boolean(), updated_at: z.string().nullable() }),
  );
}
