// The API's contract for tasks: what a caller sends (the task spec, one set of task options shared by
// single enqueue, bulk enqueue, chunked bulk and schedules; list filters; bulk actions) and what it
// gets back (a task, why it waits, counts, bulk outcomes). Zod schemas with OpenAPI metadata: the
// routes validate with them and the TypeScript client (and through it the console) derives its types.
import { z } from "zod";
import { FLOW_OUTCOMES } from "../shared/flow";
import {
  BATCH_LABEL_MAX,
  BULK_MAX,
  JOB_NAME_MAX,
  MAX_RETRIES_MAX,
  PRIORITY_BOUND,
  RETRY_DELAY_MAX_S,
  TIMEOUT_MAX_S,
} from "../shared/limits";
import { userChosenId } from "../shared/names";
import { FAILURE_POLICIES, QUEUE_NAMES, RETRY_BACKOFFS, TASK_STATUSES, WAITING_REASONS } from "../shared/states";

/** A batch id a caller chooses: the shared id grammar (src/shared/names.ts). */
export const BATCH_ID = userChosenId("batch");
/** What a batch is for, shown in lists (bulk enqueue and chunked bulk take it). */
export const BatchLabel = z.string().trim().min(1).max(BATCH_LABEL_MAX).meta({ description: "what the batch is for" });
/** Task names (ids) as paths and references carry them. */
export const TaskNameText = z.string().min(1).max(64);

/**
 * How a task runs — title, queue, timeout, priority and retries — defined once: a task spec, the
 * defaults of a bulk enqueue, a chunked bulk and a schedule take exactly these bounds.
 */
export const TaskOptions = z.object({
  job_name: z.string().min(1).max(JOB_NAME_MAX),
  queue: z.enum(QUEUE_NAMES),
  timeout: z.int().min(1).max(TIMEOUT_MAX_S).meta({ description: "seconds" }),
  priority: z.int().min(-PRIORITY_BOUND).max(PRIORITY_BOUND),
  max_retries: z.int().min(0).max(MAX_RETRIES_MAX),
  retry_delay: z.int().min(0).max(RETRY_DELAY_MAX_S).meta({ description: "seconds" }),
  retry_backoff: z.enum(RETRY_BACKOFFS),
});
const O = TaskOptions.shape;

/** Absent and null both mean "not given" in a task spec (Frappe clients send nulls). */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** One task to enqueue. Unknown top-level keys are the method's keyword arguments (`arguments` wins). */
export const TaskSpec = z
  .looseObject({
    method: optional(z.string().min(1).max(140)).meta({ example: "demo.sleep" }),
    document_type: optional(z.string().min(1).max(140)),
    document_name: optional(z.string().min(1).max(140)),
    document_action: optional(z.string().min(1).max(140)),
    job_name: optional(O.job_name),
    queue: optional(O.queue),
    timeout: optional(O.timeout),
    priority: optional(O.priority),
    at_front: optional(z.boolean()),
    arguments: optional(z.record(z.string(), z.unknown())).meta({ example: { ms: 1000 } }),
    max_retries: optional(O.max_retries),
    retry_delay: optional(O.retry_delay),
    retry_backoff: optional(O.retry_backoff),
    run_at: optional(z.iso.datetime({ offset: true })).meta({ description: "delayed start (ISO 8601)" }),
    dedupe_key: optional(z.string().min(1).max(200)),
    batch_id: optional(BATCH_ID),
    batch_order: optional(z.int().min(0).max(1_000_000_000)),
    rerun_of: optional(TaskNameText).meta({
      description: "Run again: the name of an earlier task (one you can see) that this task repeats",
    }),
  })
  .meta({ id: "TaskSpec" });

/** Structured progress, as a task reports it. */
export const Progress = z.object({
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
    scheduled_job: z.string().nullable().meta({ description: "the scheduled job this task is a run of" }),
    scheduled_for: isoTime.meta({ description: "the slot it runs for" }),
    rerun_of: z.string().nullable().meta({ description: "the earlier task this one runs again (Run again)" }),
    traceparent: z.string().nullable().meta({
      description:
        "W3C trace context of the task: the enqueue request's `traceparent` header, or one made at enqueue (docs/observability.md)",
    }),
    reruns: z
      .array(z.string())
      .optional()
      .meta({ description: "GET one task only: the newest tasks (up to 10) that run this one again" }),
    flow_keys: z.record(z.string(), z.unknown()).nullable().meta({
      description:
        "flow control keys given at enqueue: f fairness, c per-key concurrency (by key), t throttle, s singleton, d debounce (df: its burst began, epoch ms) — docs/flow-control.md",
    }),
    flow_outcome: z.enum(FLOW_OUTCOMES).nullable().meta({
      description:
        "why flow control ended the task (it is then Canceled, with the reason in status_message): rate_limited, debounced, singleton_skipped, singleton_canceled, key_missing (a scheduled job's run whose arguments lack a key)",
    }),
  })
  .meta({ id: "Task" });

/** GET /api/v1/tasks/{name}/waiting (explained in live/waiting.ts). */
export const Waiting = z
  .object({
    reason: z.enum(WAITING_REASONS).meta({
      description:
        "ready: a slot is free, the object admits it at once · dispatcher_suspended · concurrency_limit: first in line, no slot free · queued_behind: tasks ahead take the free slots first · delayed (run_at) · paused · retry_scheduled · not_waiting: Queued, Started or ended · flow control: throttled, key_limit, singleton, fair_share, debounced",
    }),
    message: z.string(),
    until: isoTime.meta({ description: "when a timer releases it (delayed, retry_scheduled)" }),
    ahead: z.number().nullable().meta({ description: "tasks of its method admitted before it (in line only)" }),
    limit: z.number().nullable().meta({ description: "the method's concurrency limit (null: unlimited)" }),
    running: z.number().nullable().meta({ description: "the method's tasks holding a slot now" }),
    causes: z.array(z.object({ reason: z.enum(WAITING_REASONS), message: z.string() })).meta({
      description:
        'every cause holding it back now, the deciding one first — flow control adds throttled ("throttled — next start at …"), key_limit ("2 of 2 running for customer = ACME"), singleton, fair_share ("fair share: 3 other owners\' tasks go first") and debounced (docs/flow-control.md)',
    }),
  })
  .meta({ id: "Waiting" });

/** At most this many `arg` conditions per filter. */
export const MAX_ARG_FILTERS = 5;

/**
 * The task list's filters — the list, its counts and bulk actions "by filter" take the same ones,
 * so "everything this filter matches" means the same rows everywhere.
 */
export const TaskFilterFields = {
  status: z.enum(TASK_STATUSES).optional(),
  method: z.string().max(140).optional(),
  batch_id: z.string().min(1).max(100).optional(),
  owner: z.string().max(140).optional(),
  job_name: z.string().min(1).max(JOB_NAME_MAX).optional().meta({ description: "substring of job_name" }),
  created_after: z.iso.datetime({ offset: true }).optional().meta({ description: "ISO time (inclusive)" }),
  created_before: z.iso.datetime({ offset: true }).optional().meta({ description: "ISO time (exclusive)" }),
};

const argDescription =
  'condition on arguments: <path>=<json value> (== also accepted), e.g. customer="CUST-0001" or items[0].qty=5';

/** The filters as a query string (`arg` repeatable). */
export const TaskFilterQuery = z.object({
  ...TaskFilterFields,
  arg: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({ description: `repeatable ${argDescription}` }),
});

/** The filters as a JSON body (bulk actions). */
export const TaskFilter = z.strictObject({
  ...TaskFilterFields,
  arg: z.array(z.string()).max(MAX_ARG_FILTERS).optional().meta({ description: argDescription }),
});

/** GET /api/v1/tasks/counts: how many tasks a filter matches, per status. */
export const TaskCounts = z
  .object({
    statuses: z
      .record(z.enum(TASK_STATUSES), z.number())
      .meta({ description: "tasks per status, each counted up to `cap`" }),
    total: z.number().meta({ description: "the sum of `statuses`" }),
    cap: z.number(),
    capped: z
      .array(z.enum(TASK_STATUSES))
      .meta({ description: "the statuses with more than `cap` tasks (their number is `cap`, a lower bound)" }),
  })
  .meta({ id: "TaskCounts" });

export const BulkEnqueue = z
  .strictObject({
    tasks: z
      .array(z.record(z.string(), z.unknown()))
      .min(1)
      .max(BULK_MAX)
      .meta({ description: "task specs (TaskSpec), each validated exactly as a single enqueue" }),
    batch_id: BATCH_ID.optional(),
    label: BatchLabel.optional(),
    failure_policy: z.enum(FAILURE_POLICIES).optional(),
    defaults: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "a partial TaskSpec under every task's own values" }),
  })
  .meta({ id: "BulkEnqueue" });

export const BulkCreated = z
  .object({
    batch_id: z.string(),
    enqueued: z.number(),
    tasks: z.array(z.object({ name: z.string(), method: z.string(), batch_order: z.number() })),
  })
  .meta({ id: "BulkCreated" });

export const BulkActionResult = z
  .object({
    action: z.string(),
    done: z.number(),
    skipped: z.number(),
    truncated: z.boolean(),
    results: z.array(
      z.object({
        name: z.string(),
        outcome: z.enum(["done", "skipped"]),
        status: z.string().nullable(),
        reason: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "BulkActionResult" });

/** What POST /api/v1/bulk/{method} made: one task per chunk, in one batch. */
export const ChunkedBulkCreated = z.object({
  batch_id: z.string(),
  enqueued: z.number(),
  total: z.number(),
  duplicates_removed: z.number(),
});
