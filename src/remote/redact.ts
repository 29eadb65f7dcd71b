// Keeps a target's credential values (and an attempt's callback token) out of every text we keep or
// show: a remote that echoes our request — a debugging endpoint, an error page quoting headers —
// would otherwise put them into a task's result or error, its debug log or the target's last_error,
// where the task's owner (not a System Manager) can read them.
import type { Credentials } from "./vault";

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

/** The shortest tail of a text that is taken for the start of a secret cut off by a length cap. */
const MIN_PARTIAL = 6;

/** Redacts the secrets it was made with from texts and from JSON values. */
export interface Redactor {
  /** `text` with every occurrence of a secret (and a secret cut off at its end) replaced. */
  text(text: string): string;
  /** `value` with every string in it (keys included) redacted like `text`. */
  json(value: unknown): unknown;
}

const base64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

/** The spellings a secret can come back in: as sent, JSON-escaped, URL-encoded, base64. */
function spellings(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), base64(secret)];
}

/** Redacts a text that ends with the first `MIN_PARTIAL`+ characters of a needle (a cap cut it). */
function redactCutTail(text: string, needle: string): string {
  for (let length = Math.min(needle.length - 1, text.length); length >= MIN_PARTIAL; length--) {
    if (text.endsWith(needle.slice(0, length))) return `${text.slice(0, text.length - length)}${REDACTED}`;
  }
  return text;
}

/**
 * A redactor for a call's secrets: the credentials' values, the `key:secret` pair a Frappe target
 * is sent, and any extra values (the attempt's callback token). Empty values are ignored.
 */
export function redactorFor(credentials: Credentials | null, ...extra: (string | null | undefined)[]): Redactor {
  const secrets = [credentials?.api_key, credentials?.api_secret, credentials?.token, ...extra];
  if (credentials?.api_key !== undefined) secrets.push(`${credentials.api_key}:${credentials.api_secret ?? ""}`);
  const needles = [
    ...new Set(secrets.filter((s): s is string => typeof s === "string" && s !== "").flatMap(spellings)),
  ].sort((a, b) => b.length - a.length); // a longer spelling before any it contains
  const text = (input: string): string => {
    if (needles.length === 0) return input;
    // A cap (or our own clipping, which ends in "…") can cut a secret: its start is redacted —
    // before whole secrets are, so that a pair cut inside its second half is still seen whole.
    const clipped = input.endsWith("…");
    let out = clipped ? input.slice(0, -1) : input;
    for (const needle of needles) out = redactCutTail(out, needle);
    for (const needle of needles) out = out.split(needle).join(REDACTED);
    return clipped ? `${out}…` : out;
  };
  const json = (value: unknown): unknown => {
    if (typeof value === "string") return text(value);
    if (Array.isArray(value)) return value.map(json);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [text(k), json(v)]));
    }
    return value;
  };
  return { text, json };
}
