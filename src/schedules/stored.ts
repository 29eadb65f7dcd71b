// A stored schedule's timing and slot options, as the time engine takes them.
import type { ScheduleRow } from "../db/schema";
import { validateTiming, type SlotOptions, type Timing } from "./timing";

/** The schedule's timing (validated when it was saved; null only if the engine no longer accepts it). */
export function timingOf(row: Pick<ScheduleRow, "frequency" | "cron" | "everyS" | "timezone">): Timing | null {
  const checked = validateTiming({
    frequency: row.frequency,
    cron: row.cron,
    every_s: row.everyS,
    timezone: row.timezone,
  });
  return checked.ok ? checked.timing : null;
}

/** Where the schedule's slots start and end; `every` slots are anchored at start_at (else the epoch). */
export function slotOptionsOf(row: Pick<ScheduleRow, "startAt" | "endAt">): SlotOptions {
  return { anchorMs: row.startAt ?? 0, startAtMs: row.startAt, endAtMs: row.endAt };
}
