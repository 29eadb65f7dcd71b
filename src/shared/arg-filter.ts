// The grammar of a condition on a task's arguments (`customer="CUST-0001"`, `items[0].qty == 5`),
// written once: the API parses list filters with it and the console checks and normalises what the
// user types with it, so both accept and refuse exactly the same text.

/** One step of a path: a key, or an array index. */
export type PathStep = { key: string } | { index: number };

/** A parsed condition: the path (steps and their canonical text) and the JSON value to compare. */
export interface ArgCondition {
  steps: PathStep[];
  /** The path written canonically, e.g. `items[0].code`: two ways of writing one path compare equal. */
  path: string;
  value: unknown;
}

const MAX_LENGTH = 500;
const MAX_STEPS = 10;
/** A key (letters, digits, `_`, `-`) or an array index, separated by `.` / `[n]`. */
const STEP = /^(?:\.?([A-Za-z_][A-Za-z0-9_-]{0,63})|\[(\d{1,6})\])/;
/** The characters comparison operators are made of. */
const OPERATOR = /[=!<>~]+/;

/** The steps of a path such as `items[0].code`, or null when it is not of that grammar. */
export function parsePath(text: string): PathStep[] | null {
  let rest = text.trim();
  if (rest === "" || rest.startsWith(".")) return null;
  const steps: PathStep[] = [];
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    if (!m || steps.length >= MAX_STEPS) return null;
    steps.push(m[1] !== undefined ? { key: m[1] } : { index: Number(m[2]) });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

/** The canonical text of a path: `items[0].code`. */
export function pathText(steps: readonly PathStep[]): string {
  return steps.map((s, i) => ("key" in s ? `${i === 0 ? "" : "."}${s.key}` : `[${s.index}]`)).join("");
}

/**
 * Parses `<path> = <value>` (`==` means the same). The value is JSON when it parses (`"CUST-1"`,
 * `5`, `true`, `null`), else the text itself as a string (`customer=CUST-1`). Anything else — another
 * operator, a path outside the grammar, a quote that is never closed — is refused with a message
 * that says why, never read as a condition that silently matches nothing.
 */
export function parseArgCondition(raw: string): ArgCondition | { error: string } {
  const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
  if (raw.length > MAX_LENGTH) return { error: `arg ${shown} is longer than ${MAX_LENGTH} characters` };
  const op = OPERATOR.exec(raw);
  if (!op) return { error: `arg ${shown} has no "=": write <path>=<value>, e.g. customer="CUST-0001"` };
  if (op[0] !== "=" && op[0] !== "==") {
    return { error: `arg ${shown}: only equality is supported (= or ==), not ${op[0]}` };
  }
  const steps = parsePath(raw.slice(0, op.index));
  if (steps === null) {
    return {
      error: `arg ${shown}: the path must be keys and [n] indexes, like customer or items[0].code (at most ${MAX_STEPS} steps)`,
    };
  }
  const text = raw.slice(op.index + op[0].length).trim();
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.startsWith('"')) return { error: `arg ${shown}: the value's quote is never closed` };
  }
  return { steps, path: pathText(steps), value };
}

/** A condition written canonically (`customer="CUST-0001"`), as the console puts it in a URL. */
export function argText(condition: Pick<ArgCondition, "path" | "value">): string {
  return `${condition.path}=${JSON.stringify(condition.value)}`;
}
