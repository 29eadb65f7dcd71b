// The one error type below the HTTP layer: a kind (what went wrong, not an HTTP status), a stable
// code and a message for people. app.onError maps each kind to a status; the domain never
// picks HTTP statuses itself.
import type { z } from "zod";

/** What went wrong, from the caller's point of view. */
export type ErrorKind =
  | "invalid"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "gone"
  | "too_large"
  | "rate_limited"
  | "unavailable";

export class DomainError extends Error {
  override name = "DomainError";

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** For rate_limited: seconds the caller should wait. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** Bad input (400). */
export const invalid = (code: string, message: string, details?: unknown) =>
  new DomainError("invalid", code, message, details);
/** Missing or invalid credentials (401); `code` says which (e.g. an expired console session). */
export const unauthorized = (message: string, code = "unauthorized") => new DomainError("unauthorized", code, message);
/** Authenticated but not allowed (403). */
export const forbidden = (message: string, code = "forbidden") => new DomainError("forbidden", code, message);
/** Missing — or another user's, which must look the same (404). */
export const notFound = (what: string) => new DomainError("not_found", "not_found", `${what} not found`);
/** The current state does not allow it (409). */
export const conflict = (message: string, details?: unknown, code = "conflict") =>
  new DomainError("conflict", code, message, details);
/** Existed, but no longer (410). */
export const gone = (code: string, message: string) => new DomainError("gone", code, message);
/** Over a size limit (413). */
export const tooLarge = (code: string, message: string, details?: unknown) =>
  new DomainError("too_large", code, message, details);
/** Over a rate limit or quota (429); the caller should wait `seconds`. */
export const rateLimited = (message: string, seconds: number) =>
  new DomainError("rate_limited", "rate_limited", message, { retry_after_s: seconds }, seconds);

/** A feature this deployment has not been configured for (503). */
export const unavailable = (code: string, message: string) => new DomainError("unavailable", code, message);

/** zod issues as a list of `{ path, message }` for `details` (paths under `prefix`). */
export function issueDetails(error: z.ZodError, prefix: readonly (string | number)[] = []) {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join("."),
    message: issue.message,
  }));
}

/**
 * An `invalid` error for input that failed a zod schema outside the route validators (Frappe
 * arguments, report filters, task arguments): the message names the first failing field,
 * `details` lists every issue.
 */
export function invalidInput(
  code: string,
  what: string,
  error: z.ZodError,
  prefix: readonly (string | number)[] = [],
): DomainError {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.map(String).join(".")}: ` : "";
  return invalid(code, `${what}: ${where}${first?.message ?? "invalid"}`, issueDetails(error, prefix));
}

/** The first line of a stored error (the message without the stack). */
export function errorSummary(error: string | null): string | null {
  return error === null ? null : (error.split("\n", 1)[0] ?? error);
}
