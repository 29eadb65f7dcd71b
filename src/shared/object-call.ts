// Calling a Durable Object: retry only the errors the runtime marks retryable and not overloaded,
// with jittered backoff (partyserver's rule). Everything else is the caller's to handle.
import { sleep } from "./sleep";

const ATTEMPTS = 3;

/** Whether a Durable Object error may be retried with a fresh stub. */
export function isRetryable(error: unknown): boolean {
  const e = error as { retryable?: boolean; overloaded?: boolean } | null;
  return e?.retryable === true && e.overloaded !== true;
}

/** Runs `call` (which should get a fresh stub each time), retrying retryable errors up to 3 times. */
export async function callObject<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryable(error)) throw error;
      await sleep(50 * 2 ** attempt + Math.random() * 50);
    }
  }
}
