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
