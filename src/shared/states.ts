// The task model's closed sets (statuses, queues, backoff kinds, roles) and its state conditions,
// each defined once: a TypeScript predicate beside the same condition as SQL text (for the log's
// partial indexes and queries). Every transition lives in the method's object (src/live/); the
// README tabulates them.

/** Every status an Async Task Log row can hold. Mirrored by a SQL CHECK in migrations/. */
export const TaskStatus = {
  Pending: "Pending",
  Queued: "Queued",
  Started: "Started",
  Finished: "Finished",
  Failed: "Failed",
  Canceled: "Canceled",
  Paused: "Paused",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
export const TASK_STATUSES = Object.values(TaskStatus) as [TaskStatus, ...TaskStatus[]];

/** The queues a task can run on, with their default timeouts in seconds. */
export const QUEUE_TIMEOUTS = { short: 300, default: 300, long: 1500 } as const;
export type QueueName = keyof typeof QUEUE_TIMEOUTS;
export const QUEUE_NAMES = Object.keys(QUEUE_TIMEOUTS) as [QueueName, ...QueueName[]];

/** How the delay between automatic retries grows. */
export const RetryBackoff = { fixed: "fixed", exponential: "exponential" } as const;
export type RetryBackoff = keyof typeof RetryBackoff;
export const RETRY_BACKOFFS = Object.keys(RetryBackoff) as [RetryBackoff, ...RetryBackoff[]];

/** What a batch does when one of its tasks fails for good. */
export const FAILURE_POLICIES = ["continue", "pause_rest"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/** Roles an API key can hold. */
export const Role = {
  SystemManager: "System Manager",
  TaskUser: "Task User",
  ReportUser: "Report User",
  /** Read-only: GET /api/v1/metrics and nothing else of note (a Prometheus scrape's key). */
  MetricsReader: "Metrics Reader",
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES = Object.values(Role) as [Role, ...Role[]];

/** Structured progress, as stored on a task and sent with its events. */
export interface Progress {
  count?: number;
  total?: number;
  description?: string;
}

/** The fields the state conditions read. */
export interface StateFields {
  status: TaskStatus;
  /** Pending: not dispatchable before it (delayed start); Failed: retried at it. */
  wakeAt: number | null;
}

const { Pending, Queued, Started, Finished, Failed, Canceled, Paused } = TaskStatus;

/**
 * Live: waiting, running, or failed with a retry scheduled. A live task keeps its dedupe_key,
 * appears in snapshots, and is never deleted by retention.
 */
export function isLive(task: StateFields): boolean {
  return !isEnded(task);
}

/** Ended: Finished, Canceled, or Failed with no retry scheduled — only a manual retry moves it. */
export function isEnded(task: StateFields): boolean {
  return task.status === Finished || task.status === Canceled || (task.status === Failed && task.wakeAt === null);
}

/** A column reference: `status` → `status`, `w.status` or `"tasks"."status"`. */
type Column = (name: string) => string;

const bare: Column = (name) => name;

/**
 * The state conditions as SQL text, for a tasks row (`column` qualifies the names, e.g. for an
 * alias). Statuses are literals, never bound parameters: SQLite uses a partial index only when it
 * sees at plan time that a query's WHERE implies the index's, and the conditions below are exactly
 * the WHEREs of the partial indexes (a unit test compares them with the migrated database).
 */
export const taskWhere = {
  /** tasks_failed. */
  failed: (c: Column = bare) => `${c("status")} = '${Failed}'`,
  /** tasks_batch. */
  inBatch: (c: Column = bare) => `${c("batch_id")} IS NOT NULL`,
  /** tasks_live: see isLive. */
  live: (c: Column = bare) =>
    `(${c("status")} IN ('${Pending}', '${Queued}', '${Started}', '${Paused}') OR (${c("status")} = '${Failed}' AND ${c("wake_at")} IS NOT NULL))`,
  /** See isEnded. */
  ended: (c: Column = bare) =>
    `(${c("status")} IN ('${Finished}', '${Canceled}') OR (${c("status")} = '${Failed}' AND ${c("wake_at")} IS NULL))`,
} as const;

/**
 * Why a task is not running yet (GET /api/v1/tasks/{name}/waiting): in line (ready, held by the
 * dispatcher switch, by a full limit, behind other tasks), held by a timer or a pause, or not
 * waiting at all (Queued, Started, ended).
 */
export const WAITING_REASONS = [
  "ready",
  "dispatcher_suspended",
  "concurrency_limit",
  "delayed",
  "paused",
  "retry_scheduled",
  "queued_behind",
  "not_waiting",
  // Flow control (docs/flow-control.md).
  "throttled",
  "key_limit",
  "singleton",
  "fair_share",
  "debounced",
] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];

/** The settings row that holds the global dispatcher switch ("1" on, "0" off; absent = on). */
export const DISPATCHER_KEY = "dispatcher_enabled";
