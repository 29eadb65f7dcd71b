// The closed sets of scheduled jobs, mirrored by SQL CHECKs: frequencies, missed-run and overlap
// policies, where a schedule comes from, and what became of each slot.

/**
 * How often a schedule runs: Frappe's `scheduler_events` names (in the schedule's time zone: hourly =
 * minute 0, daily = 00:00, weekly = Sunday 00:00, monthly = the 1st 00:00, yearly/annual = 1 January
 * 00:00; `all` = every minute), their `_long` variants (same timing, long queue, start jitter), a cron
 * expression, or every N seconds.
 */
// prettier-ignore
export const FREQUENCIES = [
  "all", "hourly", "hourly_long", "daily", "daily_long", "weekly", "weekly_long", "monthly", "monthly_long",
  "yearly", "yearly_long", "annual", "annual_long", "cron", "every",
] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** What happens to slots that were due while the engine did not run them (downtime, a stop). */
export const MISSED_POLICIES = ["skip", "once", "all"] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

/** What a due slot does while the schedule's previous run is still live (Pending, Queued, Started). */
export const OVERLAP_POLICIES = ["skip", "buffer_one", "allow", "cancel_other"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** Declared in code (defineSchedule, synced on deploy) or created through the API. */
export const SCHEDULE_SOURCES = ["code", "api"] as const;
export type ScheduleSource = (typeof SCHEDULE_SOURCES)[number];

/**
 * What became of a slot, in the run log: a run was enqueued (on time, as a catch-up or from the
 * buffer), it waits in the buffer, it was skipped because the previous run was live or because a
 * user skipped it, missed slots (one row per stretch, with a count), a run that could not be built
 * (the method or its arguments changed), or a manual run.
 */
export const RUN_OUTCOMES = [
  "enqueued",
  "buffered",
  "skipped_overlap",
  "skipped",
  "missed",
  "refused",
  "manual",
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
