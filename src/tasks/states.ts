// The closed sets of the task model: statuses, queues, retry backoff kinds and roles. The allowed
// transitions are the compare-and-set conditions in tasks/actions.ts and tasks/lifecycle.ts,
// tabulated in the README.

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

/** Roles an API key can hold. */
export const Role = {
  SystemManager: "System Manager",
  TaskUser: "Task User",
  ReportUser: "Report User",
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES = Object.values(Role) as [Role, ...Role[]];
