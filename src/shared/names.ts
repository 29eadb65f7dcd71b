// The one grammar of every id a user chooses — schedule names, batch ids, remote target names and the
// user names of API keys: a single URL path segment that routers, URL parsers and proxies leave as it is.
import { z } from "zod";
import { ID, ID_TEXT } from "./id-grammar";

/** What each kind of id adds to the grammar: a length, and for some a narrower alphabet. */
export const ID_KINDS = {
  schedule: { max: 100, narrower: null },
  batch: { max: 100, narrower: null },
  /** A user name (the `user` of an API key): `:` is kept out so no user's realtime hub is `scope:all`. */
  user: { max: 140, narrower: { pattern: /^[^:]*$/, text: "no ':'" } },
  /** A remote target prefixes its methods (`<target>:<path>`), so it stays plain lower case. */
  target: {
    max: 40,
    narrower: { pattern: /^[a-z0-9][a-z0-9_-]*$/, text: "lower case: a-z 0-9 _ -, starting with a letter or a digit" },
  },
} as const;
export type IdKind = keyof typeof ID_KINDS;

/** How the grammar of `kind` reads, for error messages and the API reference. */
export function idRule(kind: IdKind): string {
  const { max, narrower } = ID_KINDS[kind];
  return `1-${max} characters of ${ID_TEXT}${narrower === null ? "" : `; ${narrower.text}`}`;
}

/** Why `value` is not a valid id of `kind`, or null when it is. */
export function idProblem(kind: IdKind, value: string): string | null {
  const { max, narrower } = ID_KINDS[kind];
  const fits = value.length >= 1 && value.length <= max && ID.test(value);
  return fits && (narrower === null || narrower.pattern.test(value)) ? null : `must be ${idRule(kind)}`;
}

/** The zod schema of an id of `kind`, for every route and body that takes one. */
export function userChosenId(kind: IdKind) {
  const { max, narrower } = ID_KINDS[kind];
  const message = `must be ${idRule(kind)}`;
  const schema = z.string().min(1, message).max(max, message).regex(ID, message);
  return narrower === null ? schema : schema.regex(narrower.pattern, message);
}
