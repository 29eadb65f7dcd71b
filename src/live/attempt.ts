// An attempt in flight: admitted (Queued), claimed (Started), or ended and waiting for the log.
// Admission is kept in memory only — an attempt number is always the row's + 1, so a message sent
// before a restart names the same attempt as the one sent after it, and either may claim it. A
// claim is durable (a claims row holds the attempts one consumer claimed together, and their
// outcomes until the log has them); a task's row supersedes its attempt once it is rewritten
// with that attempt number or a later one.
import type { QueueName, TaskStatus } from "../shared/states";
import type { TaskRecord } from "./store";

/** The statuses an attempt can be in. */
/** The statuses an attempt can be in (a cancel rewrites the task's row instead). */
export type AttemptStatus = Extract<TaskStatus, "Queued" | "Started" | "Finished" | "Failed">;

export interface Attempt {
  name: string;
  attempt: number;
  queue: QueueName;
  status: AttemptStatus;
  queuedAt: number;
  /** Queued: when the message is presumed lost; Started: when the worker is presumed lost. */
  leaseUntil: number | null;
  /** The claims row that holds it (null while only admitted). */
  claim: string | null;
  startedAt: number | null;
  jobId: string | null;
  endedAt: number | null;
  timeTaken: number | null;
  result: string | null;
  errorMessage: string | null;
  statusMessage: string | null;
  debugLog: string | null;
  progress: string | null;
  /** A scheduled retry (Failed only). */
  wakeAt: number | null;
  seq: number;
}

/** Whether the attempt holds a slot of the method's concurrency limit. */
export const holdsSlot = (a: Pick<Attempt, "status">) => a.status === "Queued" || a.status === "Started";

/**
 * The task as it is now: its row with the attempt laid over it. While Queued, the last attempt's
 * error and result stay visible (as they always have); a claim clears progress and debug log.
 */
export function effective(row: TaskRecord, attempt: Attempt | undefined): TaskRecord {
  if (attempt === undefined) return row;
  const base = {
    ...row,
    status: attempt.status as TaskStatus,
    attempt: attempt.attempt,
    queuedAt: attempt.queuedAt,
    leaseUntil: attempt.leaseUntil,
    seq: Math.max(row.seq, attempt.seq),
    wakeAt: null,
  };
  if (attempt.status === "Queued") {
    return { ...base, startedAt: null, endedAt: null, timeTaken: null, jobId: null, statusMessage: null };
  }
  return {
    ...base,
    startedAt: attempt.startedAt,
    jobId: attempt.jobId,
    endedAt: attempt.endedAt,
    timeTaken: attempt.timeTaken,
    result: attempt.status === "Started" ? null : attempt.result,
    errorMessage:
      attempt.status === "Failed" ? attempt.errorMessage : attempt.status === "Started" ? row.errorMessage : null,
    statusMessage: attempt.statusMessage,
    debugLog: attempt.debugLog,
    progress: attempt.progress,
    wakeAt: attempt.status === "Failed" ? attempt.wakeAt : null,
    leaseUntil: attempt.status === "Started" ? attempt.leaseUntil : null,
  };
}

/** What a claims row stores of an attempt (everything: it is the attempt's durable record). */
export type ClaimEntry = Omit<Attempt, "claim">;

export function toEntry(attempt: Attempt): ClaimEntry {
  const { claim: _claim, ...entry } = attempt;
  return entry;
}
