// The transitions the platform itself makes (claim, progress, finish, fail), each a compare-and-set
// on the current status and attempt: a write that finds the row in another state changes nothing
// and returns null. Each bumps the task's seq and returns what an event needs. User actions
// (cancel, retry, pause, resume, run-now) are in actions.ts.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks, type TaskRow } from "../db/schema";
import { eventColumns, rowWithWatch, type EventRow } from "../realtime/events";
import { retryDelayMs } from "./backoff";
import type { RetryBackoff } from "./states";

/** A task row as a transition returns it: the row plus its watch expiry. */
export type WatchedTask = TaskRow & { watchUntil: number | null };

const nextSeq = sql`${tasks.seq} + 1`;

const elapsedSeconds = (now: number) =>
  sql`CASE WHEN ${tasks.startedAt} IS NULL THEN NULL ELSE (${now} - ${tasks.startedAt}) / 1000.0 END`;

/**
 * Queued → Started for exactly this attempt (the consumer's claim). A duplicate or stale message
 * finds the row in another status or attempt and gets null.
 */
export async function claimTask(
  db: Db,
  name: string,
  attempt: number,
  jobId: string,
  now: number,
  leaseGraceMs: number,
): Promise<WatchedTask | null> {
  const [row] = await db
    .update(tasks)
    .set({
      status: "Started",
      seq: nextSeq,
      startedAt: now,
      jobId,
      leaseUntil: sql`${now} + ${tasks.timeout} * 1000 + ${leaseGraceMs}`,
      progress: null,
      debugLog: null,
    })
    .where(and(eq(tasks.name, name), eq(tasks.status, "Queued"), eq(tasks.attempt, attempt)))
    .returning(rowWithWatch);
  return row ?? null;
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
): Promise<EventRow | null> {
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
    .returning(eventColumns);
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
  "name" | "attempt" | "status" | "retryCount" | "maxRetries" | "retryDelay" | "retryBackoff"
>;

/**
 * Started (or Queued, for dead-lettered messages) → Failed for this attempt, scheduling an
 * automatic retry at `wake_at` when retries remain and the error is not permanent.
 */
export async function failTask(
  db: Db,
  task: RetryFields,
  failure: { error: string; permanent: boolean; record?: AttemptRecord },
  now: number,
): Promise<EventRow | null> {
  const retrying = !failure.permanent && task.retryCount < task.maxRetries;
  const wakeAt = retrying
    ? now + retryDelayMs(task.retryDelay, task.retryBackoff as RetryBackoff, task.retryCount)
    : null;
  const [row] = await db
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
    .returning(eventColumns);
  return row ?? null;
}
