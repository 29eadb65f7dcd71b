// How an attempt ends: Started → Finished, Started (or Queued, when dead-lettered) → Failed with
// the retry rules, and what a canceled attempt leaves behind. Each is a compare-and-set on the
// status and attempt: a late or duplicate writer changes nothing and gets null.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks, type TaskRow } from "../db/schema";
import { retryDelayMs } from "../shared/backoff";
import type { Json } from "../shared/json";
import type { Progress } from "../shared/states";
import { admitsNow } from "./admission";
import { eventColumns, nextSeq, type EventRow } from "./columns";

/** What the outcome writes return: the event fields, and whether a pass would now admit work. */
const outcomeColumns = { ...eventColumns, admitsNow };
export type OutcomeRow = EventRow & { admitsNow: number };

/**
 * Fields reset whenever a task goes back to Pending for another attempt. Clearing queued_at and
 * ended_at is what keeps the in-flight condition (and so the concurrency count) true to status.
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

/** Seconds since the attempt started (null if it never did). */
export const elapsedSeconds = (now: number) =>
  sql<number | null>`CASE WHEN ${tasks.startedAt} IS NULL THEN NULL ELSE (${now} - ${tasks.startedAt}) / 1000.0 END`;

/** What an attempt left behind, written together with its final status. */
export interface AttemptRecord {
  debugLog: string | null;
  progress: Json<Progress> | null;
}

const keepProgress = (progress: Json<Progress> | null) => sql`coalesce(${progress}, ${tasks.progress})`;

/** Started → Finished for this attempt. */
export async function finishTask(
  db: Db,
  task: Pick<TaskRow, "name" | "attempt">,
  result: Json<unknown> | null,
  record: AttemptRecord,
  now: number,
): Promise<OutcomeRow | null> {
  const [[row]] = await db.batch([
    db
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
        progress: keepProgress(record.progress),
      })
      .where(and(eq(tasks.name, task.name), eq(tasks.status, "Started"), eq(tasks.attempt, task.attempt)))
      .returning(outcomeColumns),
  ]);
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
  const [rows] = await db.batch([
    db
      .update(tasks)
      .set({
        debugLog: record.debugLog === null ? line : `${record.debugLog}\n${line}`,
        progress: keepProgress(record.progress),
      })
      .where(and(eq(tasks.name, task.name), eq(tasks.status, "Canceled"), eq(tasks.attempt, task.attempt)))
      .returning({ name: tasks.name }),
  ]);
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
 * automatic retry at `wake_at` when retries remain and the error is not permanent (the delay
 * never shorter than `minDelayMs`, e.g. a remote's Retry-After). When the failure is final and the
 * task's batch has the pause_rest policy, the batch's Pending tasks are paused in the same
 * transaction (Frappe's behaviour, but only once retries are exhausted).
 */
export async function failTask(
  db: Db,
  task: RetryFields,
  failure: { error: string; permanent: boolean; record?: AttemptRecord; minDelayMs?: number },
  now: number,
): Promise<FailResult> {
  const retrying = !failure.permanent && task.retryCount < task.maxRetries;
  const delay = Math.max(retryDelayMs(task.retryDelay, task.retryBackoff, task.retryCount), failure.minDelayMs ?? 0);
  const wakeAt = retrying ? now + delay : null;
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
      ...(failure.record ? { debugLog: failure.record.debugLog, progress: keepProgress(failure.record.progress) } : {}),
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
    const [[row]] = await db.batch([fail]);
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
