// The transitions the platform itself makes (claim, progress, finish, fail), each a compare-and-set
// on the current status and attempt: a write that finds the row in another state changes nothing
// and returns null. Each bumps the task's seq and returns what an event needs. User actions
// (cancel, retry, pause, resume, run-now) are in actions.ts.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { inJson } from "../db/in-json";
import { tasks, type TaskRow } from "../db/schema";
import { eventColumns, rowWithWatch, type EventRow } from "../realtime/events";
import { retryDelayMs } from "./backoff";
import type { RetryBackoff } from "./states";

/**
 * What the consumer's outcome writes return: the event fields, plus whether the method has
 * dispatchable Pending work — read in the same statement, so "nothing waits, no wake needed" is
 * never stale.
 */
const outcomeColumns = {
  ...eventColumns,
  backlog: sql<number>`EXISTS (SELECT 1 FROM tasks AS waiting WHERE waiting.method = ${tasks.method} AND waiting.status = 'Pending' AND waiting.wake_at IS NULL)`,
};
export type OutcomeRow = EventRow & { backlog: number };

/**
 * Fields reset whenever a task goes back to Pending for another attempt. Clearing queued_at and
 * ended_at is what keeps the IN_FLIGHT predicate (and so the concurrency count) true to status.
 */
export const clearedRun = {
  wakeAt: null,
  queuedAt: null,
  startedAt: null,
  endedAt: null,
  timeTaken: null,
  leaseUntil: null,
  result: null,
  statusMessage: null,
  jobId: null,
} as const;

/** A task row as a transition returns it: the row plus its watch expiry. */
export type WatchedTask = TaskRow & { watchUntil: number | null };

const nextSeq = sql`${tasks.seq} + 1`;

const elapsedSeconds = (now: number) =>
  sql`CASE WHEN ${tasks.startedAt} IS NULL THEN NULL ELSE (${now} - ${tasks.startedAt}) / 1000.0 END`;

/** One delivered message: which task attempt it is for, and its queue message id. */
export interface Delivery {
  name: string;
  attempt: number;
  id: string;
}

/**
 * Queued → Started, for every delivered message whose task is Queued in exactly that attempt —
 * the consumer's claim, for a whole batch in one statement. A duplicate, stale or late message
 * matches nothing. Each claimed row's job_id is the id of the (first) message that claimed it,
 * so of two copies of one message in a batch only one runs.
 */
export async function claimTasks(
  db: Db,
  deliveries: readonly Delivery[],
  now: number,
  leaseGraceMs: number,
): Promise<WatchedTask[]> {
  if (deliveries.length === 0) return [];
  const json = JSON.stringify(deliveries);
  const matching = sql`FROM json_each(${json}) AS d WHERE d.value ->> 'name' = ${tasks.name} AND d.value ->> 'attempt' = ${tasks.attempt}`;
  return db
    .update(tasks)
    .set({
      status: "Started",
      seq: nextSeq,
      startedAt: now,
      jobId: sql`(SELECT d.value ->> 'id' ${matching} LIMIT 1)`,
      leaseUntil: sql`${now} + ${tasks.timeout} * 1000 + ${leaseGraceMs}`,
      progress: null,
      debugLog: null,
    })
    .where(
      and(
        sql`${tasks.status} = 'Queued'`,
        sql`EXISTS (SELECT 1 ${matching})`,
        inJson(
          tasks.name,
          deliveries.map((d) => d.name),
        ),
      ),
    )
    .returning(rowWithWatch);
}

/** Stores progress of a Started attempt. Null when the task is no longer Started in this attempt. */
export async function saveProgress(db: Db, name: string, attempt: number, progress: string): Promise<EventRow | null> {
  const [row] = await db
    .update(tasks)
    .set({ progress, seq: nextSeq })
    .where(and(eq(tasks.name, name), eq(tasks.status, "Started"), eq(tasks.attempt, attempt)))
    .returning(eventColumns);
  return row ?? null;
}

/** What an attempt left behind, written together with its final status. */
export interface AttemptRecord {
  debugLog: string | null;
  progress: string | null;
}

/** Started → Finished for this attempt. */
export async function finishTask(
  db: Db,
  task: Pick<TaskRow, "name" | "attempt">,
  result: string | null,
  record: AttemptRecord,
  now: number,
): Promise<OutcomeRow | null> {
  const [row] = await db
    .update(tasks)
    .set({
      status: "Finished",
      seq: nextSeq,
      endedAt: now,
      timeTaken: elapsedSeconds(now),
      result,
      errorMessage: null,
      statusMessage: null,
      leaseUntil: null,
      debugLog: record.debugLog,
      progress: sql`coalesce(${record.progress}, ${tasks.progress})`,
    })
    .where(and(eq(tasks.name, task.name), eq(tasks.status, "Started"), eq(tasks.attempt, task.attempt)))
    .returning(outcomeColumns);
  return row ?? null;
}

/**
 * Keeps what a canceled attempt logged: written only if the task is still Canceled in this attempt,
 * so it proves the handler's signal fired and the attempt ended.
 */
export async function recordCanceledAttempt(
  db: Db,
  task: Pick<TaskRow, "name" | "attempt">,
  record: AttemptRecord,
  now: number,
): Promise<boolean> {
  const line = `${new Date(now).toISOString()} [switchyard] attempt ${task.attempt} stopped after cancel`;
  const rows = await db
    .update(tasks)
    .set({
      debugLog: record.debugLog === null ? line : `${record.debugLog}\n${line}`,
      progress: sql`coalesce(${record.progress}, ${tasks.progress})`,
    })
    .where(and(eq(tasks.name, task.name), eq(tasks.status, "Canceled"), eq(tasks.attempt, task.attempt)))
    .returning({ name: tasks.name });
  return rows.length > 0;
}

/** The task fields the retry decision needs. */
export type RetryFields = Pick<
  TaskRow,
  "name" | "attempt" | "status" | "retryCount" | "maxRetries" | "retryDelay" | "retryBackoff" | "batchId"
>;

/** What failTask changed: the failed task, and the batch tasks a pause_rest policy paused. */
export interface FailResult {
  failed: OutcomeRow | null;
  paused: EventRow[];
}

/**
 * Started (or Queued, for dead-lettered messages) → Failed for this attempt, scheduling an
 * automatic retry at `wake_at` when retries remain and the error is not permanent. When the
 * failure is final and the task's batch has the pause_rest policy, the batch's Pending tasks are
 * paused in the same transaction (Frappe's behaviour, but only once retries are exhausted).
 */
export async function failTask(
  db: Db,
  task: RetryFields,
  failure: { error: string; permanent: boolean; record?: AttemptRecord },
  now: number,
): Promise<FailResult> {
  const retrying = !failure.permanent && task.retryCount < task.maxRetries;
  const wakeAt = retrying
    ? now + retryDelayMs(task.retryDelay, task.retryBackoff as RetryBackoff, task.retryCount)
    : null;
  const fail = db
    .update(tasks)
    .set({
      status: "Failed",
      seq: nextSeq,
      endedAt: now,
      timeTaken: elapsedSeconds(now),
      errorMessage: failure.error,
      statusMessage: retrying
        ? `retry ${task.retryCount + 1} of ${task.maxRetries} at ${new Date(wakeAt ?? now).toISOString()}`
        : null,
      wakeAt,
      leaseUntil: null,
      ...(failure.record
        ? {
            debugLog: failure.record.debugLog,
            progress: sql`coalesce(${failure.record.progress}, ${tasks.progress})`,
          }
        : {}),
    })
    .where(
      and(
        eq(tasks.name, task.name),
        eq(tasks.status, task.status === "Queued" ? "Queued" : "Started"),
        eq(tasks.attempt, task.attempt),
      ),
    )
    .returning(outcomeColumns);
  if (retrying || task.batchId === null) {
    const [row] = await fail;
    return { failed: row ?? null, paused: [] };
  }
  const [failedRows, paused] = await db.batch([fail, pauseRestOfBatch(db, task, task.batchId, now)]);
  return { failed: failedRows[0] ?? null, paused };
}

/**
 * Pending → Paused for the rest of a pause_rest batch — only if the failure write just before it
 * (same transaction) really happened, which the `ended_at = now` of this attempt proves.
 */
function pauseRestOfBatch(db: Db, task: RetryFields, batchId: string, now: number) {
  return db
    .update(tasks)
    .set({ status: "Paused", seq: nextSeq, statusMessage: `paused: batch task ${task.name} failed` })
    .where(
      and(
        eq(tasks.batchId, batchId),
        eq(tasks.status, "Pending"),
        sql`EXISTS (SELECT 1 FROM batches WHERE batch_id = ${batchId} AND failure_policy = 'pause_rest')`,
        sql`EXISTS (SELECT 1 FROM tasks AS f WHERE f.name = ${task.name} AND f.status = 'Failed'
                    AND f.attempt = ${task.attempt} AND f.ended_at = ${now} AND f.wake_at IS NULL)`,
      ),
    )
    .returning(eventColumns);
}
