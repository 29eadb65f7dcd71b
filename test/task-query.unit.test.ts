// The `arg=` filter's parser: user paths become quoted SQLite JSON paths, values are JSON when they parse.
import { describe, expect, it } from "vitest";
import { jsonPath, parseArgFilters } from "../src/api/task-query";

describe("arg filter parsing", () => {
  it("turns keys and indexes into a quoted JSON path", () => {
    expect(jsonPath("customer")).toBe('$."customer"');
    expect(jsonPath("items[0].code")).toBe('$."items"[0]."code"');
    expect(jsonPath(" odd-key ")).toBe('$."odd-key"');
    expect(jsonPath("a[1][2]")).toBe('$."a"[1][2]');
  });

  it("refuses anything else", () => {
    for (const bad of ["", ".a", "a.", "a..b", "a[x]", "a b", '"a"', "a[-1]", "$.a", "a.b.c.d.e.f.g.h.i.j.k"]) {
      expect(jsonPath(bad), bad).toBeNull();
    }
  });

  it("reads JSON values and falls back to strings", () => {
    expect(parseArgFilters(['customer = "CUST-1"', "qty=5", "vip=true", "note=null", "name=plain text"])).toEqual([
      { path: '$."customer"', value: "CUST-1" },
      { path: '$."qty"', value: 5 },
      { path: '$."vip"', value: true },
      { path: '$."note"', value: null },
      { path: '$."name"', value: "plain text" },
    ]);
    expect(parseArgFilters(["x=a=b"])).toEqual([{ path: '$."x"', value: "a=b" }]);
    expect(() => parseArgFilters(["novalue"])).toThrow(/has no "=": write <path>=<value>/);
  });

  it("takes == as =, the way people write equality", () => {
    expect(parseArgFilters(['customer == "X"', "qty==5"])).toEqual([
      { path: '$."customer"', value: "X" },
      { path: '$."qty"', value: 5 },
    ]);
  });

  it("refuses other operators and unclosed quotes with a message that says why (never a silent no-match)", () => {
    expect(() => parseArgFilters(['customer != "X"'])).toThrow(/only equality is supported \(= or ==\), not !=/);
    expect(() => parseArgFilters(["qty >= 5"])).toThrow(/not >=/);
    expect(() => parseArgFilters(["qty === 5"])).toThrow(/not ===/);
    expect(() => parseArgFilters(['customer="X'])).toThrow(/quote is never closed/);
    expect(() => parseArgFilters(['cust omer="X"'])).toThrow(/the path must be keys and \[n\] indexes/);
  });
});
