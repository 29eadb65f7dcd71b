import { describe, expect, it } from "vitest";
import { idFloor, newId } from "../src/shared/ids";

describe("task ids", () => {
  it("are 26 Crockford base32 characters", () => {
    expect(newId()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("sort in creation order, also within one millisecond", () => {
    const now = Date.now();
    const ids = Array.from({ length: 1000 }, () => newId(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it("sort by time across milliseconds, and idFloor bounds them from below", () => {
    const t = Date.now() + 10_000;
    const a = newId(t);
    const b = newId(t + 1);
    expect(a < b).toBe(true);
    expect(idFloor(t + 1) <= b).toBe(true);
    expect(idFloor(t + 1) > a).toBe(true);
    // A clock that steps back never makes an id sort before an earlier one.
    expect(newId(t - 5_000) > b).toBe(true);
  });
});
