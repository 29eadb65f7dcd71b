// The public JSON shape of a schedule and of its run log: instants in the schedule's own zone
// (ISO 8601 with offset), the timing in words, counters, and whether it is overdue.
import type { ScheduleRow } from "../db/schema";
import type { RunWithStatus } from "../db/schedules";
import { fromJson } from "../shared/json";
import { describeTiming, isoInZone } from "./describe";
import { slotOptionsOf, timingOf } from "./stored";
import { nextSlots } from "./timing";

/** A schedule is overdue when its next firing is more than this late (shown in /api/v1/ops too). */
export const OVERDUE_AFTER_MS = 60_000;

const utc = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A schedule as the API shows it; `withNextRuns` adds the next 10 fire times. */
export function scheduleJson(row: ScheduleRow, now: number, withNextRuns = false) {
  const timing = timingOf(row);
  const inZone = (ms: number | null) => (ms === null ? null : isoInZone(ms, row.timezone));
  const next = withNextRuns && timing !== null && !row.stopped ? nextSlots(timing, now, 10, slotOptionsOf(row)) : [];
  return {
    name: row.name,
    source: row.source,
    owner: row.owner,
    description: row.description,
    method: row.method,
    document_type: row.documentType,
    document_name: row.documentName,
    document_action: row.documentAction,
    arguments: fromJson(row.arguments),
    queue: row.queue,
    priority: row.priority,
    timeout: row.timeout,
    max_retries: row.maxRetries,
    retry_delay: row.retryDelay,
    retry_backoff: row.retryBackoff,
    frequency: row.frequency,
    cron: row.cron,
    every_s: row.everyS,
    timezone: row.timezone,
    timing: timing === null ? null : describeTiming(timing),
    missed: row.missed,
    catch_up_window_s: row.catchUpWindowS,
    catch_up_max: row.catchUpMax,
    overlap: row.overlap,
    start_at: inZone(row.startAt),
    end_at: inZone(row.endAt),
    max_runs: row.maxRuns,
    stopped: row.stopped,
    stop_note: row.stopNote,
    stopped_at: utc(row.stoppedAt),
    skip_next: row.skipNext,
    last_slot: inZone(row.lastSlot),
    last_execution: utc(row.lastExecution),
    last_task: row.lastTask,
    next_execution: inZone(row.stopped ? null : row.nextSlot),
    buffered_slot: inZone(row.bufferedSlot),
    overdue: !row.stopped && row.nextFireAt !== null && now > row.nextFireAt + OVERDUE_AFTER_MS,
    counters: {
      runs: row.runs,
      missed: row.missedCount,
      skipped_overlap: row.skippedOverlap,
      skipped: row.skipped,
      failed: row.failed,
    },
    created_at: utc(row.createdAt),
    updated_at: utc(row.updatedAt),
    ...(withNextRuns ? { next_runs: next.map((ms) => isoInZone(ms, row.timezone)) } : {}),
  };
}

/** One run-log entry: what became of a slot. */
export function runJson(run: RunWithStatus, timezone: string) {
  return {
    slot: isoInZone(run.slot, timezone),
    kind: run.kind,
    outcome: run.outcome,
    task_name: run.taskName,
    task_status: run.taskStatus,
    count: run.count,
    slot_until: run.slotUntil === null ? null : isoInZone(run.slotUntil, timezone),
    enqueued_at: run.outcome === "enqueued" || run.outcome === "manual" ? new Date(run.at).toISOString() : null,
    recorded_at: new Date(run.at).toISOString(),
    lag_ms: run.lagMs,
    error: run.error,
  };
}
