// Every status transition of a task, each one compare-and-set on the current status (and attempt).
// A write that finds the row in another state changes nothing and returns null. Each write bumps
// the task's seq and returns what an event needs (including whether anyone watches the task).
import { and, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks, type TaskRow } from "../db/schema";
import { eventColumns, rowWithWatch, type EventRow } from "../realtime/events";
import { retryDelayMs } from "./backoff";
import type { RetryBackoff } from "./states";

/** Statuses from which cancel is allowed (Failed only while an automatic retry is scheduled). */
const cancelable = or(
  inArray(tasks.status, ["Pending", "Paused", "Queued", "Started"]),
  and(eq(tasks.status, "Failed"), isNotNull(tasks.wakeAt)),
);

/** A task row as a transition returns it: the row plus its watch expiry. */
export type WatchedTask = TaskRow & { watchUntil: number | null };

const nextSeq = sql`${tasks.seq} + 1`;

const elapsedSeconds = (now: number) =>
  sql`CASE WHEN ${tasks.startedAt} IS NULL THEN NULL ELSE (${now} - ${tasks.startedAt}) / 1000.0 END`;

/** Pending/Paused/Queued/Started (or Failed awaiting a retry) → Canceled. */
export async function cancelTask(
  db: Db,
  name: string,
  message: string | null,
  now: number,
): Promise<WatchedTask | null> {
  const [row] = await db
    .update(tasks)
    .set({
      status: "Canceled",
      seq: nextSeq,
      statusMessage: message,
      endedAt: now,
      timeTaken: elapsedSeconds(now),
      leaseUntil: null,
      wakeAt: null,
    })
    .where(and(eq(tasks.name, name), cancelable))
    .returning(rowWithWatch);
  return row ?? null;
}

/** Pending → Paused. */
export async function pauseTask(db: Db, name: string): Promise<WatchedTask | null> {
  const [row] = await db
    .update(tasks)
    .set({ status: "Paused", seq: nextSeq })
    .where(and(eq(tasks.name, name), eq(tasks.status, "Pending")))
    .returning(rowWithWatch);
  return row ?? null;
}

/** Paused → Pending. */
export async function resumeTask(db: Db, name: string): Promise<WatchedTask | null> {
  const [row] = await db
    .update(tasks)
    .set({ status: "Pending", seq: nextSeq })
    .where(and(eq(tasks.name, name), eq(tasks.status, "Paused")))
    .returning(rowWithWatch);
  return row ?? null;
}

/**
 * Pending or Paused → Pending at the head of the line (lane 2), ignoring any delayed start.
 * It still waits for a free slot: run-now jumps the line, it does not bypass the limit.
 */
export async function runTaskNow(db: Db, name: string): Promise<WatchedTask | null> {
  const [row] = await db
    .update(tasks)
    .set({ status: "Pending", lane: 2, wakeAt: null, seq: nextSeq })
    .where(and(eq(tasks.name, name), inArray(tasks.status, ["Pending", "Paused"])))
    .returning(rowWithWatch);
  return row ?? null;
}

/**
 * Failed or Canceled → Pending (manual retry). `now` puts it at the head of the line.
 * Counts as a retry (retry_count + 1), as in Frappe. Throws on a dedupe conflict.
 */
export async function retryTask(db: Db, name: string, jump: boolean): Promise<WatchedTask | null> {
  const [row] = await db
    .update(tasks)
    .set({
      status: "Pending",
      seq: nextSeq,
      lane: jump ? 2 : sql`CASE WHEN ${tasks.atFront} THEN 1 ELSE 0 END`,
      retryCount: sql`${tasks.retryCount} + 1`,
      ...clearedRun,
    })
    .where(and(eq(tasks.name, name), inArray(tasks.status, ["Failed", "Canceled"])))
    .returning(rowWithWatch);
  return row ?? null;
}

/** Fields reset when a task goes back to Pending for another attempt. */
const clearedRun = {
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
