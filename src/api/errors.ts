// The API's error answers: the JSON envelope { error: { code, message, details } } (Frappe-style
// bodies on /api/method/), and the one error handler that maps every error to its status.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { CSRF_HEADER, sessionCookie } from "../auth/session";
import { ConfigError } from "../shared/config";
import { DomainError, issueDetails, type ErrorKind } from "../shared/errors";
import { describeError, log } from "../shared/log";
import type { AppEnv } from "./context";

/** The HTTP status of each kind of domain error. */
const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

/** Codes for the statuses hono raises itself (HTTPException). */
const HTTP_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  426: "upgrade_required",
  429: "rate_limited",
};

/** The envelope body. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, details: details ?? null } };
}

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

const TARGETS: Record<string, string> = { json: "request body", form: "form body", query: "query", param: "path" };

/** The defaultHook of every router: failed validation → 400 validation_failed. */
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

/** A cf-ray value worth logging (Cloudflare's format), else undefined — never raw client text. */
function cfRay(value: string | undefined): string | undefined {
  return value !== undefined && /^[0-9a-f]{16}(-[A-Z]{3})?$/.test(value) ? value : undefined;
}

/** Paths whose clients (Frappe, Power BI) authenticate with HTTP Basic after a challenge. */
function basicAuthPath(path: string): boolean {
  return path.startsWith("/api/method/") || path.startsWith("/api/v1/report-jobs/");
}

/**
 * Whether a request comes from the console, which must never get a Basic challenge (the browser
 * would pop its own login dialog over the page): it carries the session cookie — even an ended
 * one, as a download link clicked after the session ended does — or the CSRF header, or it was
 * made by a page of this origin (`Sec-Fetch-Site: same-origin`: the cookie is gone after a logout).
 * Power BI and Frappe clients send none of these.
 */
function fromConsole(request: Request): boolean {
  return (
    sessionCookie(request) !== undefined ||
    request.headers.get(CSRF_HEADER) !== null ||
    request.headers.get("sec-fetch-site") === "same-origin"
  );
}

/**
 * The app's onError: domain errors and hono's HTTPExceptions answer their status with the
 * envelope (Frappe-style on /api/method/); an invalid configuration answers 500 naming the var;
 * anything else is logged with the request id and answered with a generic 500.
 */
export function handleError(error: Error, c: Context<AppEnv>) {
  let status: ContentfulStatusCode = 500;
  let code = "internal";
  let message = `internal error (request ${c.get("requestId")})`;
  let details: unknown;
  if (error instanceof DomainError) {
    status = STATUS[error.kind];
    ({ code, message, details } = error);
    if (error.retryAfterS !== undefined) c.header("Retry-After", String(Math.ceil(error.retryAfterS)));
  } else if (error instanceof HTTPException) {
    status = error.status;
    code = HTTP_CODES[status] ?? "error";
    message = error.message || code;
    if (status === 415) message = "send the request body as JSON with Content-Type: application/json";
    if (status === 400 && /malformed json/i.test(message)) code = "malformed_json";
  } else if (error instanceof ConfigError) {
    code = "invalid_configuration";
    message = error.message;
    log.error("invalid configuration", { requestId: c.get("requestId"), error: error.message });
  } else {
    log.error("unhandled error", {
      requestId: c.get("requestId"),
      cfRay: cfRay(c.req.header("cf-ray")),
      path: c.req.path,
      ...describeError(error),
    });
  }
  // Only where Power BI and Frappe clients expect it: elsewhere a browser must not pop a dialog —
  // nor on the console's own requests to those paths.
  if (status === 401 && basicAuthPath(c.req.path) && !fromConsole(c.req.raw)) {
    c.header("WWW-Authenticate", 'Basic realm="Switchyard", charset="UTF-8"');
  }
  const body = c.req.path.startsWith("/api/method/")
    ? frappeErrorBody(status, message)
    : errorBody(code, message, details);
  return c.json(body, status);
}
