// Retry backoff: one pure function, so the consumer, lease expiry and dead-letter paths agree.
import type { RetryBackoff } from "./states";

/** The longest delay an exponential backoff grows to. */
export const MAX_BACKOFF_MS = 6 * 60 * 60 * 1000;

/**
 * Milliseconds to wait before automatic retry number `retryCount + 1`.
 * fixed: `retryDelay` seconds every time; exponential: `retryDelay × 2^retryCount`, capped at 6 h.
 */
export function retryDelayMs(retryDelay: number, backoff: RetryBackoff, retryCount: number): number {
  const base = Math.max(0, retryDelay) * 1000;
  if (backoff === "fixed") return base;
  return Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, retryCount));
}
