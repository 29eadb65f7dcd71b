// The API's contract for scheduled jobs: what a schedule is asked to be (its run takes the task
// options of src/contract/tasks.ts), how it is shown, its run log, and the preview of its next runs.
import { z } from "zod";
import { idRule, userChosenId } from "../shared/names";
import { FREQUENCIES, MISSED_POLICIES, OVERLAP_POLICIES, RUN_OUTCOMES } from "../shared/schedule-sets";
import { TaskOptions } from "./tasks";

const iso = z.iso.datetime({ offset: true });
const O = TaskOptions.shape;

/** A schedule as the API takes it (POST creates; PUT replaces the definition, keeping the run history). */
export const ScheduleSpec = z
  .strictObject({
    name: userChosenId("schedule")
      .optional()
      .meta({ description: `${idRule("schedule")} (default: a generated sched-… name)` }),
    description: z.string().max(500).optional(),
    method: z.string().min(1).max(140).optional().meta({ example: "demo.echo" }),
    document_type: z.string().min(1).max(140).optional(),
    document_name: z.string().min(1).max(140).optional(),
    document_action: z.string().min(1).max(140).optional(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    queue: O.queue.optional(),
    priority: O.priority.optional(),
    timeout: O.timeout.optional(),
    max_retries: O.max_retries.optional(),
    retry_delay: O.retry_delay.optional(),
    retry_backoff: O.retry_backoff.optional(),
    frequency: z.enum(FREQUENCIES).meta({ example: "every" }),
    cron: z.string().min(1).max(200).optional().meta({ description: "5 or 6 fields (frequency cron)" }),
    every_s: z.int().optional().meta({ description: "seconds, ≥ 10 (frequency every)", example: 10 }),
    timezone: z.string().min(1).max(64).optional().meta({ description: "IANA zone (default UTC)" }),
    missed: z.enum(MISSED_POLICIES).optional(),
    catch_up_window_s: z
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
    catch_up_max: z.int().min(1).max(1000).optional(),
    overlap: z.enum(OVERLAP_POLICIES).optional(),
    start_at: iso.optional(),
    end_at: iso.optional(),
    max_runs: z.int().min(1).max(1_000_000_000).optional(),
  })
  .meta({ id: "ScheduleSpec" });

const inZone = z.string().nullable().meta({ description: "ISO 8601 in the schedule's time zone" });

export const ScheduledJob = z
  .object({
    name: z.string(),
    source: z.enum(["code", "api"]),
    owner: z.string(),
    description: z.string().nullable(),
    method: z.string(),
    document_type: z.string().nullable(),
    document_name: z.string().nullable(),
    document_action: z.string().nullable(),
    arguments: z.unknown(),
    queue: z.string().nullable(),
    priority: z.number().nullable(),
    timeout: z.number().nullable(),
    max_retries: z.number(),
    retry_delay: z.number(),
    retry_backoff: z.string(),
    frequency: z.enum(FREQUENCIES),
    cron: z.string().nullable(),
    every_s: z.number().nullable(),
    timezone: z.string(),
    timing: z.string().nullable().meta({ description: "the timing in words" }),
    missed: z.enum(MISSED_POLICIES),
    catch_up_window_s: z.number(),
    catch_up_max: z.number(),
    overlap: z.enum(OVERLAP_POLICIES),
    start_at: inZone,
    end_at: inZone,
    max_runs: z.number().nullable(),
    stopped: z.boolean(),
    stop_note: z.string().nullable(),
    stopped_at: z.string().nullable(),
    skip_next: z.number(),
    last_slot: inZone,
    last_execution: z.string().nullable(),
    last_task: z.string().nullable(),
    next_execution: inZone,
    buffered_slot: inZone,
    overdue: z.boolean(),
    counters: z.object({
      runs: z.number(),
      missed: z.number(),
      skipped_overlap: z.number(),
      skipped: z.number(),
      failed: z.number(),
    }),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
    next_runs: z.array(z.string()).optional().meta({ description: "the next 10 fire times (GET one only)" }),
  })
  .meta({ id: "ScheduledJob" });

export const ScheduleRun = z
  .object({
    slot: z.string(),
    kind: z.enum(["slot", "manual"]),
    outcome: z.enum(RUN_OUTCOMES),
    task_name: z.string().nullable(),
    task_status: z.string().nullable(),
    count: z.number(),
    slot_until: z.string().nullable(),
    enqueued_at: z.string().nullable(),
    recorded_at: z.string(),
    lag_ms: z.number().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: "ScheduleRun" });

/** POST /api/v1/scheduled-jobs/preview: what a spec would do, checked as a save checks it, unsaved. */
export const SchedulePreview = z
  .object({
    timing: z.string().meta({ description: "the timing in words" }),
    timezone: z.string(),
    next_runs: z
      .array(z.string())
      .meta({ description: "the next 10 fire times after now, in the schedule's zone (ISO 8601 with offset)" }),
  })
  .meta({ id: "SchedulePreview" });
