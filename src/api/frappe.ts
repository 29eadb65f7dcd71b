// Frappe-compatible endpoints under /api/method/…: same paths, parameters and {"message": …} bodies,
// so existing Frappe clients work by changing the base URL. Errors answer Frappe-style bodies.
import { Hono, type Context } from "hono";
import { setDispatcher } from "./dispatcher";
import type { AppEnv } from "./context";
import { badRequest } from "./errors";

/** Frappe's exc_type for an HTTP status. */
export function frappeExcType(status: number): string {
  switch (status) {
    case 401:
      return "AuthenticationError";
    case 403:
      return "PermissionError";
    case 404:
      return "DoesNotExistError";
    case 409:
    case 400:
    case 413:
    case 415:
      return "ValidationError";
    case 429:
      return "RateLimitExceededError";
    default:
      return "Exception";
  }
}

/** The Frappe error body: { exc_type, message, exception }. */
export function frappeErrorBody(status: number, message: string) {
  const excType = frappeExcType(status);
  return { exc_type: excType, message, exception: `frappe.exceptions.${excType}: ${message}` };
}

/**
 * Frappe whitelisted methods take their arguments from the query string, a form body or a JSON
 * body; later sources win, as in frappe.form_dict.
 */
export async function frappeArgs(c: Context): Promise<Record<string, unknown>> {
  const args: Record<string, unknown> = { ...c.req.query() };
  const type = c.req.header("content-type") ?? "";
  if (c.req.method !== "GET" && type.includes("application/json")) {
    const body: unknown = await c.req.json().catch(() => {
      throw badRequest("bad_request", "malformed JSON body");
    });
    if (body && typeof body === "object" && !Array.isArray(body)) Object.assign(args, body);
  } else if (c.req.method !== "GET" && (type.includes("form-urlencoded") || type.includes("multipart/form-data"))) {
    // A multipart body without a boundary, or one that is cut short, makes the parser throw.
    const form = await c.req.parseBody().catch(() => {
      throw badRequest(
        "bad_request",
        "malformed form body: send valid multipart/form-data (with its boundary) or JSON",
      );
    });
    for (const [k, v] of Object.entries(form)) if (typeof v === "string") args[k] = v;
  }
  return args;
}

/** Frappe's truthiness for flags that arrive as 1/0, true/false or "1"/"0". */
export function frappeFlag(value: unknown, name: string): boolean {
  if (value === true || value === 1 || value === "1" || value === "true" || value === "True") return true;
  if (value === false || value === 0 || value === "0" || value === "false" || value === "False") return false;
  throw badRequest("validation_failed", `${name} must be 1 or 0`);
}

const TOGGLE = "/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher";

export const frappeApi = new Hono<AppEnv>().on(["GET", "POST"], TOGGLE, async (c) => {
  const args = await frappeArgs(c);
  if (args.enable === undefined) throw badRequest("validation_failed", "enable is required (1 or 0)");
  const state = await setDispatcher(c.env, c.get("user"), frappeFlag(args.enable, "enable"));
  return c.json({ message: state });
});
