// The API's error type and the one JSON envelope every error answers with: { error: { code, message, details } }.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/** A domain error the route layer throws; app.onError turns it into the envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (message: string, details?: unknown) => new ApiError(409, "conflict", message, details);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const badRequest = (code: string, message: string, details?: unknown) =>
  new ApiError(400, code, message, details);

/** The envelope body. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, details: details ?? null } };
}

/** zod issues as a list of { path, message } for `details`. */
export function issueDetails(error: z.ZodError, prefix: (string | number)[] = []) {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join("."),
    message: issue.message,
  }));
}

/**
 * A 400 for input that failed a zod schema outside the route validators (Frappe arguments, report
 * filters): the message names the first failing field, `details` lists every issue.
 */
export function zodFailure(code: string, what: string, error: z.ZodError, prefix: (string | number)[] = []) {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.map(String).join(".")}: ` : "";
  return badRequest(code, `${what}: ${where}${first?.message ?? "invalid"}`, issueDetails(error, prefix));
}

const TARGETS: Record<string, string> = { json: "request body", form: "form body", query: "query", param: "path" };

/** The defaultHook of every OpenAPIHono app: failed validation → 400 validation_failed. */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError; target: string },
  c: Context,
) {
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.map(String).join(".")}: ` : "";
    return c.json(
      errorBody(
        "validation_failed",
        `invalid ${TARGETS[result.target] ?? result.target}: ${where}${first?.message ?? "bad input"}`,
        issueDetails(result.error),
      ),
      400,
    );
  }
  return undefined;
}
