// Cursors of the newest-first logs (incidents, deliveries): the last row's time and id, so rows that
// share a time (one evaluation's incidents, one log group's deliveries) are never skipped.
import { z } from "@hono/zod-openapi";

/** `?cursor=` as next_cursor gave it: `<epoch ms>.<id>`. */
export const TimeCursor = z
  .string()
  .regex(/^\d{1,15}\.[A-Za-z0-9_]{1,64}$/, "a cursor from next_cursor")
  .optional();

/** The cursor's time and id, or null for the first page. */
export function parseTimeCursor(cursor: string | undefined): { at: number; id: string } | null {
  if (cursor === undefined) return null;
  const dot = cursor.indexOf(".");
  return { at: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}

/** The next page's cursor: after the last row of a full page, else null. */
export function nextTimeCursor<T>(rows: readonly T[], limit: number, key: (row: T) => [number, string]): string | null {
  const last = rows.at(-1);
  if (rows.length < limit || last === undefined) return null;
  const [at, id] = key(last);
  return `${at}.${id}`;
}
