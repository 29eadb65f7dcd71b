// Parses a Retry-After header (RFC 9110 §10.2.3) into a delay that floors the next retry.

/** Longest delay a remote can ask for; beyond this our own backoff decides. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

// The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7).
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

interface DateParts {
  day: string;
  month: string;
  year: number;
  hours: string;
  minutes: string;
  seconds: string;
}

function toMs({ day, month, year, hours, minutes, seconds }: DateParts): number | null {
  const [h, m, s, d] = [Number(hours), Number(minutes), Number(seconds), Number(day.trim())];
  if (h > 23 || m > 59 || s > 60) return null;
  // A leap second (:60) counts as :59.
  const ms = Date.UTC(year, MONTHS.indexOf(month), d, h, m, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March; a real date survives the round trip.
  return new Date(ms).getUTCDate() === d ? ms : null;
}

/** A two-digit RFC 850 year: the latest year ending in those digits that is not > 50 years ahead. */
function fullYear(twoDigits: number, nowMs: number): number {
  const nowYear = new Date(nowMs).getUTCFullYear();
  let year = Math.floor(nowYear / 100) * 100 + twoDigits;
  if (year > nowYear + 50) year -= 100;
  return year;
}

function parseHttpDate(text: string, nowMs: number): number | null {
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day = "", month = "", year = "", h = "", m = "", s = ""] = match;
    return toMs({ day, month, year: Number(year), hours: h, minutes: m, seconds: s });
  }
  match = RFC850_DATE.exec(text);
  if (match) {
    const [, day = "", month = "", year = "", h = "", m = "", s = ""] = match;
    return toMs({ day, month, year: fullYear(Number(year), nowMs), hours: h, minutes: m, seconds: s });
  }
  match = ASCTIME_DATE.exec(text);
  if (match) {
    const [, month = "", day = "", h = "", m = "", s = "", year = ""] = match;
    return toMs({ day, month, year: Number(year), hours: h, minutes: m, seconds: s });
  }
  return null;
}

/**
 * Milliseconds to wait according to a Retry-After value: delay-seconds (`120`) or an HTTP-date in
 * any of its three forms, measured from `nowMs`. A date in the past means 0. Null when the header
 * is absent or not one of those forms (negative or fractional numbers, other date formats, junk),
 * so the caller's own backoff applies. Capped at `MAX_RETRY_AFTER_MS`.
 */
export function retryAfterMs(headerValue: string | null | undefined, nowMs: number): number | null {
  const value = (headerValue ?? "").trim();
  if (value === "") return null;
  if (/^\d+$/.test(value)) {
    // Digits beyond 9 cannot be under the cap; skipping Number() avoids precision games.
    return value.replace(/^0+(?=\d)/, "").length > 9
      ? MAX_RETRY_AFTER_MS
      : Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  }
  const at = parseHttpDate(value, nowMs);
  if (at === null) return null;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}
