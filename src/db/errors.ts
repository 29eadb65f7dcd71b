// Recognising database errors: drizzle wraps D1's error ("Failed query: …") and keeps it as `cause`.

/** True when the error, or any error in its cause chain, mentions `text` (e.g. a trigger's RAISE). */
export function dbErrorMentions(error: unknown, text: string): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : typeof e === "string" ? e : "";
    if (message.includes(text)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
