// The public JSON shape of a task (snake_case, ISO times), as every API response and event shows it.
import { isSystemManager, type User } from "../api/context";
import type { TaskRow } from "../db/schema";
import type { Progress } from "../methods/registry";
import type { TaskStatus } from "./states";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The first line of an error (the message without the stack). */
export function errorSummary(error: string | null): string | null {
  return error === null ? null : (error.split("\n", 1)[0] ?? error);
}

/** A task as the API shows it. Non-admins see error messages without stacks. */
export function taskJson(row: TaskRow, viewer: User | null) {
  const admin = viewer !== null && isSystemManager(viewer);
  return {
    name: row.name,
    job_name: row.jobName,
    method: row.method,
    document_type: row.documentType,
    document_name: row.documentName,
    document_action: row.documentAction,
    queue: row.queue,
    timeout: row.timeout,
    priority: row.priority,
    at_front: row.atFront,
    arguments: parseJson(row.arguments),
    status: row.status as TaskStatus,
    status_message: row.statusMessage,
    owner: row.owner,
    batch_id: row.batchId,
    batch_order: row.batchId === null ? null : row.batchOrder,
    max_retries: row.maxRetries,
    retry_delay: row.retryDelay,
    retry_backoff: row.retryBackoff,
    retry_count: row.retryCount,
    retry_at: row.status === "Failed" ? iso(row.wakeAt) : null,
    run_at: iso(row.runAt),
    dedupe_key: row.dedupeKey,
    created_at: iso(row.createdAt),
    queued_at: iso(row.queuedAt),
    started_at: iso(row.startedAt),
    ended_at: iso(row.endedAt),
    time_taken: row.timeTaken,
    attempt: row.attempt,
    result: parseJson(row.result),
    error_message: admin ? row.errorMessage : errorSummary(row.errorMessage),
    debug_log: row.debugLog,
    progress: parseJson(row.progress) as Progress | null,
    job_id: row.jobId,
  };
}

export type TaskJson = ReturnType<typeof taskJson>;
