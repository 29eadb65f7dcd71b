// How an attempt ends — Finished, or Failed with the retry rules — and the other news a running
// attempt sends: progress, a remote's acceptance (202) and heartbeats. Each is a compare-and-set
// on the attempt being Started in exactly that attempt number: a late, duplicate or stale report
// changes nothing. Outcomes are written to the attempt's claims row (one write for every outcome
// of that claim reported together); a large one is written to the task's row instead.
import { retryDelayMs } from "../shared/backoff";
import type { Attempt } from "./attempt";
import { Live } from "./live";
import type { TaskRecord } from "./store";

/** What an attempt left behind besides its outcome. */
export interface AttemptRecord {
  debugLog: string | null;
  progress: string | null;
}

/** How a consumer (or a remote's callback) says an attempt ended. */
export type Outcome =
  | { kind: "finished"; result: string | null }
  | { kind: "failed"; error: string; permanent: boolean; minDelayMs?: number }
  /** The handler stopped after a cancel: what it logged is kept on the canceled task. */
  | { kind: "canceled" }
  /** A remote answered 202: it works on and reports through callbacks. */
  | { kind: "accepted"; statusMessage: string; leaseUntil: number };

export interface OutcomeReport {
  name: string;
  attempt: number;
  outcome: Outcome;
  record: AttemptRecord | null;
  /** A remote method's call in this attempt (for the method's counters): failed, and refused our credentials. */
  call?: { failed: boolean; authFailed: boolean };
}

/** What became of a report: the task after it, or null when it was discarded (the attempt is over). */
export interface OutcomeResult {
  name: string;
  task: TaskRecord | null;
}

/** Outcomes larger than this are written to the task's row rather than its claims row. */
const CLAIM_ENTRY_MAX = 16 * 1024;

/** The latest a Started attempt's lease may reach: its start + timeout + grace. */
function leaseCap(live: Live, attempt: Attempt, row: TaskRecord): number {
  return (attempt.startedAt ?? 0) + row.timeout * 1000 + live.cfg.leaseGraceMs;
}

/**
 * Applies outcomes reported together, then writes each touched claims row once. Returns, per
 * report, the task after it (null: discarded), and the pause_rest batches a final failure hit.
 */
export function applyOutcomes(
  live: Live,
  reports: readonly OutcomeReport[],
  now: number,
): { results: OutcomeResult[]; pauseBatches: string[] } {
  const touched = new Set<string>();
  const pauseBatches: string[] = [];
  const results = reports.map(({ name, attempt: n, outcome, record, call }): OutcomeResult => {
    if (outcome.kind === "canceled") return { name, task: recordCanceled(live, name, n, record, now) };
    const attempt = live.inFlight.get(name);
    if (!attempt || attempt.attempt !== n || attempt.status !== "Started") return { name, task: null };
    // Counted once: only a report that applies (a repeated or stale one is discarded above).
    if (call) {
      live.counters.add("remoteCalls");
      if (call.failed) live.counters.add("remoteFailures");
      if (call.authFailed) live.counters.add("remoteAuthFailures");
    }
    if (outcome.kind === "accepted") {
      const row = live.store.readTask(name);
      if (!row) return { name, task: null };
      attempt.leaseUntil = Math.min(outcome.leaseUntil, leaseCap(live, attempt, row));
      attempt.statusMessage = outcome.statusMessage;
      attempt.seq = live.nextSeq(attempt.seq);
    } else if (outcome.kind === "finished") {
      finish(live, attempt, outcome.result, record, now);
    } else {
      const failed = failAttempt(live, attempt, outcome, record, now, false);
      if (failed.pauseBatch !== null) pauseBatches.push(failed.pauseBatch);
    }
    if (attempt.claim !== null) touched.add(attempt.claim);
    const task = persist(live, attempt, now);
    live.markDirty(task, now);
    return { name, task };
  });
  for (const id of touched) live.saveClaim(id);
  return { results, pauseBatches };
}

/** Started → Finished for this attempt (in memory; the caller persists). */
function finish(live: Live, attempt: Attempt, result: string | null, record: AttemptRecord | null, now: number) {
  Object.assign(attempt, {
    status: "Finished",
    endedAt: now,
    timeTaken: attempt.startedAt === null ? null : (now - attempt.startedAt) / 1000,
    result,
    errorMessage: null,
    statusMessage: null,
    leaseUntil: null,
    debugLog: record?.debugLog ?? null,
    progress: record?.progress ?? attempt.progress,
    seq: live.nextSeq(attempt.seq),
  } satisfies Partial<Attempt>);
  live.counters.add("finished");
  if (attempt.timeTaken !== null) live.counters.observe("run", attempt.timeTaken);
}

/**
 * Started (or Queued, for a dead-lettered message) → Failed, scheduling an automatic retry when
 * retries remain and the error is not permanent (never sooner than `minDelayMs`). When it fails
 * for good and its batch pauses the rest on failure, this object's part of the batch is paused
 * at once and the batch is named for the others. With `write`, the failure is persisted here.
 */
export function failAttempt(
  live: Live,
  attempt: Attempt,
  failure: { error: string; permanent: boolean; minDelayMs?: number },
  record: AttemptRecord | null,
  now: number,
  write = true,
): { task: TaskRecord | null; pauseBatch: string | null } {
  const row = live.store.readTask(attempt.name);
  if (!row) return { task: null, pauseBatch: null };
  const retrying = !failure.permanent && row.retryCount < row.maxRetries;
  const delay = Math.max(retryDelayMs(row.retryDelay, row.retryBackoff, row.retryCount), failure.minDelayMs ?? 0);
  const wakeAt = retrying ? now + delay : null;
  Object.assign(attempt, {
    status: "Failed",
    endedAt: now,
    timeTaken: attempt.startedAt === null ? null : (now - attempt.startedAt) / 1000,
    errorMessage: failure.error,
    statusMessage: retrying
      ? `retry ${row.retryCount + 1} of ${row.maxRetries} at ${new Date(wakeAt ?? now).toISOString()}`
      : null,
    wakeAt,
    leaseUntil: null,
    ...(record ? { debugLog: record.debugLog, progress: record.progress ?? attempt.progress } : {}),
    seq: live.nextSeq(attempt.seq),
  } satisfies Partial<Attempt>);
  live.counters.add("failed");
  if (!retrying) live.counters.add("failedFinal");
  if (attempt.timeTaken !== null) live.counters.observe("run", attempt.timeTaken);
  let task: TaskRecord | null = null;
  if (write) {
    task = persist(live, attempt, now, attempt.claim === null);
    if (attempt.claim !== null) live.saveClaim(attempt.claim);
    live.markDirty(task, now);
  }
  const pauseBatch = !retrying && row.batchId !== null && live.pauseRest.has(row.batchId) ? row.batchId : null;
  if (pauseBatch !== null) pauseBatchHere(live, pauseBatch, `paused: batch task ${attempt.name} failed`, now);
  return { task, pauseBatch };
}

/**
 * The task after an attempt changed. A claimed attempt stays in its claims row (the caller writes
 * the row once for all its reports) unless its outcome is large, or it was never claimed: then
 * the task's own row takes it, which makes the attempt no longer in flight.
 */
function persist(live: Live, attempt: Attempt, now: number, toRow = false): TaskRecord {
  const task = live.get(attempt.name);
  if (!task) throw new Error(`task ${attempt.name} vanished from its object`);
  const size = (attempt.result?.length ?? 0) + (attempt.debugLog?.length ?? 0) + (attempt.errorMessage?.length ?? 0);
  if (toRow || size > CLAIM_ENTRY_MAX) live.writeRow(task, now);
  return task;
}

/** Keeps what a canceled attempt logged — only while the task is still Canceled in that attempt. */
function recordCanceled(live: Live, name: string, n: number, record: AttemptRecord | null, now: number) {
  const task = live.get(name);
  if (!task || task.status !== "Canceled" || task.attempt !== n) return null;
  const line = `${new Date(now).toISOString()} [switchyard] attempt ${n} stopped after cancel`;
  const after: TaskRecord = {
    ...task,
    debugLog: record?.debugLog ? `${record.debugLog}\n${line}` : line,
    progress: record?.progress ?? task.progress,
    leaseUntil: null,
    seq: live.nextSeq(task.seq),
  };
  live.writeRow(after, now);
  live.stopping.delete(name);
  live.markDirty(after, now);
  return after;
}

/** Pending → Paused for this object's tasks of a pause_rest batch. Returns the paused tasks. */
export function pauseBatchHere(live: Live, batchId: string, message: string, now: number): TaskRecord[] {
  const rows = live.store.exec<{ name: string }>(
    `SELECT name FROM tasks WHERE batch_id = ? AND status = 'Pending'`,
    batchId,
  );
  const paused: TaskRecord[] = [];
  for (const task of live.getMany(rows.map((r) => r.name))) {
    if (task.status !== "Pending") continue;
    const after: TaskRecord = { ...task, status: "Paused", statusMessage: message, seq: live.nextSeq(task.seq) };
    live.writeRow(after, now);
    live.line.remove(task.name);
    live.markDirty(after, now);
    paused.push(after);
  }
  return paused;
}

/**
 * Progress of a Started attempt, kept in memory (the final value lands in the log with the
 * outcome). Null when the attempt is no longer Started: the handler should stop.
 */
export function recordProgress(live: Live, name: string, n: number, progress: string): TaskRecord | null {
  const attempt = live.inFlight.get(name);
  if (!attempt || attempt.attempt !== n || attempt.status !== "Started") return null;
  attempt.progress = progress;
  attempt.seq = live.nextSeq(attempt.seq);
  return live.get(name);
}

/**
 * A remote's heartbeat: the lease moves to `until` unless it already lasts longer, never past the
 * attempt's cap; progress and a status message are kept when given. Null when the attempt is over.
 */
export function heartbeat(
  live: Live,
  name: string,
  n: number,
  until: number,
  news: { progress?: string; statusMessage?: string },
  now: number,
): TaskRecord | null {
  const attempt = live.inFlight.get(name);
  const row = live.store.readTask(name);
  if (!attempt || !row || attempt.attempt !== n || attempt.status !== "Started") return null;
  attempt.leaseUntil = Math.min(Math.max(attempt.leaseUntil ?? 0, until), leaseCap(live, attempt, row));
  if (news.progress !== undefined) attempt.progress = news.progress;
  if (news.statusMessage !== undefined) attempt.statusMessage = news.statusMessage;
  attempt.seq = live.nextSeq(attempt.seq);
  const task = live.get(name);
  if (news.statusMessage !== undefined) live.markDirty(task, now);
  return task;
}
