// Bounds of the task options and task types, written once: the API's schemas (src/contract/) check
// them and the console's forms say them (a plain module, so the browser bundle needs no zod).

/** A task's priority (and a task type's) is a whole number within ± this. */
export const PRIORITY_BOUND = 1_000_000;
/** Longest job name (a task's title). */
export const JOB_NAME_MAX = 140;
/** Longest task timeout, in seconds (one day). */
export const TIMEOUT_MAX_S = 86_400;
/** Most automatic retries of one task. */
export const MAX_RETRIES_MAX = 100;
/** Longest delay between retries, in seconds (one week). */
export const RETRY_DELAY_MAX_S = 7 * 86_400;
/** Highest concurrency limit of a task type (0 = unlimited). */
export const CONCURRENCY_LIMIT_MAX = 10_000;
/** Longest label of a batch. */
export const BATCH_LABEL_MAX = 140;
/** Most task specs in one bulk enqueue. */
export const BULK_MAX = 1000;
/** How often one Worker isolate writes an API key's last_used_at (at most), in ms. */
export const LAST_USED_EVERY_MS = 60_000;
