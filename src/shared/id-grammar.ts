// The characters of a user-chosen id, apart from zod so the console can use them in its forms
// (see names.ts for the whole grammar: lengths and each kind's narrower alphabet).

/**
 * Letters, digits and `_ . : @ + -`, starting with a letter, a digit or `_`. So never `.` or `..`
 * (URL parsers resolve those away, and the resource could never be addressed again), never a `/`,
 * `%`, `?`, `#`, `\`, space or control character, and never a leading `-` or `.`.
 */
export const ID = /^[A-Za-z0-9_][A-Za-z0-9_.:@+-]*$/;
export const ID_TEXT = "A-Z a-z 0-9 _ . : @ + -, starting with a letter, a digit or _";
/** The same as an HTML `pattern` attribute (anchored by the browser, compiled with the `v` flag). */
export const ID_HTML_PATTERN = "[A-Za-z0-9_][A-Za-z0-9_.:@+\\-]*";
