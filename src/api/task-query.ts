// Parses the task list's query filters: ISO time bounds and `arg=<path>=<json value>` conditions on
// the task's arguments (e.g. `arg=customer="CUST-0001"`, `arg=items[0].qty=5`).
import type { ArgumentMatch } from "../db/task-filter";
import { invalid } from "../shared/errors";

/** At most this many `arg` conditions per request. */
export const MAX_ARG_FILTERS = 5;
const MAX_ARG_LENGTH = 500;
const MAX_PATH_STEPS = 10;

/** A key (letters, digits, `_`, `-`) or an array index, separated by `.` / `[n]`. */
const STEP = /^(?:\.?([A-Za-z_][A-Za-z0-9_-]{0,63})|\[(\d{1,6})\])/;

/**
 * The SQLite JSON path for a user path such as `items[0].code` → `$."items"[0]."code"`, or null when
 * it is not of that grammar. Keys are always quoted, so `-` in a key is plain text.
 */
export function jsonPath(path: string): string | null {
  let rest = path.trim();
  let out = "$";
  let steps = 0;
  if (rest.startsWith(".") || rest === "") return null;
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    if (!m || ++steps > MAX_PATH_STEPS) return null;
    out += m[1] !== undefined ? `."${m[1]}"` : `[${m[2] ?? "0"}]`;
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * Parses `arg` query values. The value is JSON when it parses (`"CUST-1"`, `5`, `true`, `null`),
 * else the raw text as a string (`customer=CUST-1` works too). Bad syntax is a 400.
 */
export function parseArgFilters(values: readonly string[]): ArgumentMatch[] {
  if (values.length > MAX_ARG_FILTERS) {
    throw invalid("validation_failed", `invalid query: at most ${MAX_ARG_FILTERS} arg filters`);
  }
  return values.map((raw) => {
    const eq = raw.indexOf("=");
    const path = eq < 0 ? null : jsonPath(raw.slice(0, eq));
    if (raw.length > MAX_ARG_LENGTH || path === null) {
      throw invalid(
        "validation_failed",
        `invalid query: arg must be <path>=<value> with a path like customer or items[0].code (got ${JSON.stringify(raw.slice(0, 80))})`,
        [{ path: "arg", message: "expected <path>=<json value>" }],
      );
    }
    const text = raw.slice(eq + 1).trim();
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON: compare as a string
    }
    return { path, value };
  });
}

/** Epoch ms of an ISO time query parameter (already validated as ISO by the schema). */
export const isoMs = (text: string | undefined) => (text === undefined ? undefined : Date.parse(text));
