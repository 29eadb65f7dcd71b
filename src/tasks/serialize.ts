// The public JSON shape of a task (snake_case, ISO times), as every API response shows it.
import type { TaskRow } from "../db/schema";
import { errorSummary } from "../shared/errors";
import type { FlowOutcome } from "../shared/flow";
import { fromJson } from "../shared/json";
import { isSystemManager, type User } from "../shared/user";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A task's fields, from its object or the log (without the log's own bookkeeping). */
type TaskFields = Omit<TaskRow, "loggedAt">;

/** A task as the API shows it. Non-admins see error messages without stacks. */
export function taskJson(row: TaskFields, viewer: User | null) {
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
    arguments: fromJson(row.arguments),
    status: row.status,
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
    result: row.result === null ? null : fromJson(row.result),
    error_message: admin ? row.errorMessage : errorSummary(row.errorMessage),
    debug_log: row.debugLog,
    progress: row.progress === null ? null : fromJson(row.progress),
    job_id: row.jobId,
    scheduled_job: row.scheduledJob,
    scheduled_for: iso(row.scheduledFor),
    rerun_of: row.rerunOf,
    flow_keys: row.flowKeys === null ? null : fromJson<Record<string, unknown>>(row.flowKeys),
    flow_outcome: row.flowOutcome as FlowOutcome | null,
    traceparent: row.traceparent,
  };
}

export type TaskJson = ReturnType<typeof taskJson>;
