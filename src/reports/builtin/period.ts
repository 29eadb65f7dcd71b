// The date-range filters the built-in operations reports share (Frappe's from_date/to_date).
import { z } from "zod";

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 7;

/** `from_date`/`to_date` (YYYY-MM-DD, inclusive, UTC) and an optional `method`. */
export const periodFilters = z
  .strictObject({
    from_date: z.iso.date().optional(),
    to_date: z.iso.date().optional(),
    method: z.string().min(1).max(140).optional(),
  })
  .refine((f) => !f.from_date || !f.to_date || f.from_date <= f.to_date, {
    message: "from_date must not be after to_date",
    path: ["from_date"],
  });

/** The filters' range as epoch ms [from, to). Default: the last 7 days including today. */
export function periodRange(filters: { from_date?: string; to_date?: string }, now = Date.now()): [number, number] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const to = filters.to_date ? Date.parse(filters.to_date) + DAY_MS : today + DAY_MS;
  const from = filters.from_date ? Date.parse(filters.from_date) : to - DEFAULT_DAYS * DAY_MS;
  return [from, to];
}

/** Epoch ms → Date (null stays null), for Datetime columns. */
export const asDate = (ms: number | null) => (ms === null ? null : new Date(ms));
