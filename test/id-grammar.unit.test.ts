// The console's forms check user-chosen ids with an HTML pattern; it must accept exactly what the
// API accepts (the browser compiles a pattern anchored, with the `v` flag).
import { describe, expect, it } from "vitest";
import { ID, ID_HTML_PATTERN } from "../src/shared/id-grammar";
import { idProblem } from "../src/shared/names";

const asBrowser = new RegExp(`^(?:${ID_HTML_PATTERN})$`, "v");
const samples = [
  "nightly",
  "sync_customers-2",
  "a.b:c@d+e",
  "_x",
  "9lives",
  ".",
  "..",
  ".hidden",
  "-dash",
  "a/b",
  "a b",
  "a%2F",
  "a?b",
  "a#b",
  "a\\b",
  "ümlaut",
  "",
];

describe("the console's id pattern", () => {
  it("accepts exactly the ids the API's grammar accepts", () => {
    for (const value of samples) expect(asBrowser.test(value), JSON.stringify(value)).toBe(ID.test(value));
    expect(samples.filter((v) => asBrowser.test(v))).toEqual([
      "nightly",
      "sync_customers-2",
      "a.b:c@d+e",
      "_x",
      "9lives",
    ]);
  });

  it("refuses the dot segments the API refuses", () => {
    for (const value of [".", ".."]) {
      expect(asBrowser.test(value)).toBe(false);
      expect(idProblem("schedule", value)).not.toBeNull();
    }
  });
});
