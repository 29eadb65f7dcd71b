// Request and response schemas shared by the routes (they also make up the OpenAPI document). A
// leaf module: the TypeScript client (and through it the console) borrows these types.
import { z } from "@hono/zod-openapi";
import { FREQUENCIES, MISSED_POLICIES, OVERLAP_POLICIES, RUN_OUTCOMES } from "../shared/schedule-sets";
import { QUEUE_NAMES, RETRY_BACKOFFS, ROLES, TASK_STATUSES, WAITING_REASONS } from "../shared/states";

/** A path parameter of at most `max` characters. */
export const pathParam = (name: string, max: number, example?: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .openapi({ param: { name, in: "path" }, ...(example === undefined ? {} : { example }) });

const Progress = z.object({
  count: z.number().optional(),
  total: z.number().optional(),
  description: z.string().optional(),
});
const isoTime = z.string().nullable();

export const Task = z
  .object({
    name: z.string(),
    job_name: z.string(),
    method: z.string(),
    document_type: z.string().nullable(),
    document_name: z.string().nullable(),
    document_action: z.string().nullable(),
    queue: z.enum(QUEUE_NAMES),
    timeout: z.number(),
    priority: z.number(),
    at_front: z.boolean(),
    arguments: z.unknown(),
    status: z.enum(TASK_STATUSES),
    status_message: z.string().nullable(),
    owner: z.string(),
    batch_id: z.string().nullable(),
    batch_order: z.number().nullable(),
    max_retries: z.number(),
    retry_delay: z.number(),
    retry_backoff: z.enum(RETRY_BACKOFFS),
    retry_count: z.number(),
    retry_at: isoTime,
    run_at: isoTime,
    dedupe_key: z.string().nullable(),
    created_at: isoTime,
    queued_at: isoTime,
    started_at: isoTime,
    ended_at: isoTime,
    time_taken: z.number().nullable(),
    attempt: z.number(),
    result: z.unknown(),
    error_message: z.string().nullable(),
    debug_log: z.string().nullable(),
    progress: Progress.nullable(),
    job_id: z.string().nullable(),
    scheduled_job: z.string().nullable().openapi({ description: "the scheduled job this task is a run of" }),
    scheduled_for: isoTime.openapi({ description: "the slot it runs for" }),
  })
  .openapi("Task");

/** GET /api/v1/tasks/{name}/waiting (explained in live/waiting.ts). */
export const Waiting = z
  .object({
    reason: z.enum(WAITING_REASONS).openapi({
      description:
        "ready: a slot is free, the object admits it at once · dispatcher_suspended · concurrency_limit: first in line, no slot free · queued_behind: tasks ahead take the free slots first · delayed (run_at) · paused · retry_scheduled · not_waiting: Queued, Started or ended",
    }),
    message: z.string(),
    until: isoTime.openapi({ description: "when a timer releases it (delayed, retry_scheduled)" }),
    ahead: z.number().nullable().openapi({ description: "tasks of its method admitted before it (in line only)" }),
    limit: z.number().nullable().openapi({ description: "the method's concurrency limit (null: unlimited)" }),
    running: z.number().nullable().openapi({ description: "the method's tasks holding a slot now" }),
  })
  .openapi("Waiting");

export const TaskName = z.object({ name: pathParam("name", 64) });

export const RoleList = z.array(z.enum(ROLES));

const inZone = z.string().nullable().openapi({ description: "ISO 8601 in the schedule's time zone" });

export const Schedule = z
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
    timing: z.string().nullable().openapi({ description: "the timing in words" }),
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
    next_runs: z.array(z.string()).optional().openapi({ description: "the next 10 fire times (GET one only)" }),
  })
  .openapi("ScheduledJob");

export const Run = z
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
  .openapi("ScheduleRun");
