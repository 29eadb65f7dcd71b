import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, retryAfterMs } from "../src/remote/retry-after";

// Sun, 06 Nov 1994 08:49:37 GMT: the example date of RFC 9110 §5.6.7.
const NOW = Date.UTC(1994, 10, 6, 8, 49, 37);

describe("retryAfterMs", () => {
  it("reads delay-seconds, tolerating surrounding whitespace and leading zeros", () => {
    expect(retryAfterMs("120", NOW)).toBe(120_000);
    expect(retryAfterMs("  7 ", NOW)).toBe(7_000);
    expect(retryAfterMs("0", NOW)).toBe(0);
    expect(retryAfterMs("007", NOW)).toBe(7_000);
  });

  it("reads all three HTTP-date forms relative to now", () => {
    expect(retryAfterMs("Sun, 06 Nov 1994 08:51:37 GMT", NOW)).toBe(120_000); // IMF-fixdate
    expect(retryAfterMs("Sunday, 06-Nov-94 08:51:37 GMT", NOW)).toBe(120_000); // obsolete RFC 850
    expect(retryAfterMs("Sun Nov  6 08:51:37 1994", NOW)).toBe(120_000); // asctime
    expect(retryAfterMs("Mon, 07 Nov 1994 08:49:37 GMT", NOW)).toBe(24 * 3600_000);
  });

  it("interprets a two-digit RFC 850 year as at most 50 years ahead", () => {
    const now2030 = Date.UTC(2030, 0, 1);
    expect(retryAfterMs("Tuesday, 01-Jan-30 00:00:10 GMT", now2030)).toBe(10_000);
    // From 2030, '99 as 2099 would be 69 years ahead, so it means 1999: already past.
    expect(retryAfterMs("Friday, 01-Jan-99 00:00:00 GMT", now2030)).toBe(0);
    // '79 as 2079 is 49 years ahead: still the future (so capped).
    expect(retryAfterMs("Sunday, 01-Jan-79 00:00:00 GMT", now2030)).toBe(MAX_RETRY_AFTER_MS);
  });

  it("treats a date in the past as retry now", () => {
    expect(retryAfterMs("Sat, 05 Nov 1994 08:49:37 GMT", NOW)).toBe(0);
  });

  it("caps long waits at 24 hours, however they are written", () => {
    expect(MAX_RETRY_AFTER_MS).toBe(86_400_000);
    expect(retryAfterMs("86401", NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs("99999999999999999999999", NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs("Fri, 01 Jan 2100 00:00:00 GMT", NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([
    [null],
    [undefined],
    [""],
    ["-5"],
    ["+5"],
    ["1.5"],
    ["1e3"],
    ["soon"],
    ["120 seconds"],
    ["0x10"],
    ["Sun, 31 Feb 1994 08:49:37 GMT"],
    ["Sun, 06 Nov 1994 25:00:00 GMT"],
    ["Sun, 06 Nov 1994 08:49:37 PST"],
    ["Sun, 6 Nov 1994 08:49:37 GMT"],
    ["1994-11-06T08:51:37Z"],
    ["Sunday, 06-Nov-1994 08:49:37 GMT"],
  ])("ignores %j (the caller's own backoff applies)", (value) => {
    expect(retryAfterMs(value, NOW)).toBeNull();
  });
});
