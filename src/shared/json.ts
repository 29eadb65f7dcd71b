// JSON stored as text: a string type that records what the text holds, so a column's
// `$type<Json<T>>()` says what parsing it gives, and one place converts in each direction.

declare const content: unique symbol;

/** Text holding the JSON of a `T`. */
export type Json<T> = string & { readonly [content]?: T };

/** The JSON text of a value. */
export function toJson<T>(value: T): Json<T> {
  return JSON.stringify(value);
}

/** The value JSON text holds (written by toJson, so its shape is T). */
export function fromJson<T>(text: Json<T>): T {
  // JSON.parse is typed `any`; the Json<T> type of the text is what vouches for T.
  return JSON.parse(text) as T;
}

/** The object a task's `arguments` text holds ({} when it holds no object: no key can be read from it). */
export function argumentsObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** JSON with object keys sorted at every level, so equal filters give equal text. */
export function canonicalJson<T>(value: T): Json<T> {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Hex SHA-256 of a text. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
