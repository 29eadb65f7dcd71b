// When a failed delivery is tried again: one pure function (tested), shared by alert notices and
// completion webhooks. The first attempt is immediate; the minute cron sends the retries that are due.

/** Delay after the n-th failed attempt (index n - 1); after the last, the delivery is given up. */
export const DELIVERY_DELAYS_MS = [
  10_000,
  60_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
] as const;

/** Attempts in all (the first, then one per delay). */
export const MAX_DELIVERY_ATTEMPTS = DELIVERY_DELAYS_MS.length + 1;

/**
 * When to try again after `attempts` failed attempts (1 = the first failed), or null when the
 * delivery has had all its attempts. A receiver's `Retry-After` (seconds) can only push it later.
 */
export function nextDeliveryAt(now: number, attempts: number, retryAfterS: number | null = null): number | null {
  if (attempts >= MAX_DELIVERY_ATTEMPTS) return null;
  const delay = DELIVERY_DELAYS_MS[Math.min(Math.max(0, attempts - 1), DELIVERY_DELAYS_MS.length - 1)] ?? 0;
  const asked = retryAfterS === null ? 0 : Math.min(retryAfterS, 24 * 3_600) * 1000;
  return now + Math.max(delay, asked);
}
