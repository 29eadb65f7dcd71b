import { describe, expect, it } from "vitest";
import { MAX_BACKOFF_MS, retryDelayMs } from "../src/shared/backoff";

describe("retryDelayMs", () => {
  it("fixed backoff waits retry_delay every time", () => {
    expect([0, 1, 5].map((n) => retryDelayMs(30, "fixed", n))).toEqual([30_000, 30_000, 30_000]);
  });

  it("exponential backoff doubles per retry from retry_delay", () => {
    expect([0, 1, 2, 3].map((n) => retryDelayMs(10, "exponential", n))).toEqual([10_000, 20_000, 40_000, 80_000]);
  });

  it("exponential backoff is capped at six hours", () => {
    expect(retryDelayMs(60, "exponential", 30)).toBe(MAX_BACKOFF_MS);
  });

  it("a zero delay retries on the next pass", () => {
    expect(retryDelayMs(0, "exponential", 4)).toBe(0);
  });
});
