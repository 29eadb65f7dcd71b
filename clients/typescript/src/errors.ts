// The error every failed API call throws: the HTTP status and the server's error envelope.

/** An API error: the HTTP status plus the server's `{ error: { code, message, details } }`. */
export class SwitchyardError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details: unknown) {
    super(message);
    this.name = "SwitchyardError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * Whether a failure may go away by itself, so a watch keeps trying: the network, a server error,
 * or too many requests. Anything else (a rejected key, a task that is missing or not ours) will not.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof SwitchyardError)) return true;
  return error.status >= 500 || error.status === 429 || error.status === 408;
}
