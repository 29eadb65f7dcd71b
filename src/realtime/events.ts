// The async_task_status event: built from the row a transition returned, sent to the owner's hub
// only when someone watches the task, its batch or its owner.
import { getDb } from "../db/client";
import { inJson } from "../db/in-json";
import { batches, type BatchRow } from "../db/schema";
import { fromJson } from "../shared/json";
import { describeError, log } from "../shared/log";
import { ALL_HUB } from "../shared/realtime-scopes";
import { errorSummary } from "../tasks/serialize";
import type { EventRow } from "../transitions/columns";
import type { TaskEvent } from "./event-types";

export type { TaskEvent };

/** Batch counters as events and snapshots show them. */
export function batchCounters(batch: BatchRow) {
  return {
    batch_id: batch.batchId,
    total: batch.total,
    finished: batch.finished,
    failed: batch.failed,
    canceled: batch.canceled,
    done: batch.finished + batch.failed + batch.canceled,
    failure_policy: batch.failurePolicy,
  };
}

/** Builds the event for a row (batch counters from `batch` when the task is in one). */
export function toEvent(row: EventRow, batch: BatchRow | undefined, now: number): TaskEvent {
  const counters = batch ? batchCounters(batch) : null;
  return {
    name: row.name,
    job_name: row.jobName,
    method: row.method,
    owner: row.owner,
    status: row.status,
    message: row.statusMessage,
    error: errorSummary(row.errorMessage),
    error_detail: row.errorMessage,
    progress: row.progress === null ? null : fromJson(row.progress),
    retry_at: row.status === "Failed" && row.wakeAt !== null ? new Date(row.wakeAt).toISOString() : null,
    batch_id: row.batchId,
    batch_done: counters?.done ?? null,
    batch_total: counters?.total ?? null,
    seq: row.seq,
    ts: new Date(now).toISOString(),
  };
}

/**
 * Publishes events for the rows someone watches: one hub call per owner whose task, batch or
 * own-tasks scope is watched, and one to ALL_HUB for the rows the every-task watch covers. Never
 * throws: realtime is a view, and clients resync from snapshots; the task's own state is already
 * committed.
 */
export async function publishTaskEvents(env: Env, rows: readonly (EventRow | null)[], now = Date.now()): Promise<void> {
  const live = (until: number | null) => until !== null && until > now;
  const byOwnerHub = rows.filter((r): r is EventRow => r !== null && live(r.watchUntil));
  const toAllHub = rows.filter((r): r is EventRow => r !== null && live(r.allWatchUntil));
  if (byOwnerHub.length === 0 && toAllHub.length === 0) return;
  const watched = [...new Set([...byOwnerHub, ...toAllHub])];
  try {
    const batchIds = [...new Set(watched.map((r) => r.batchId).filter((b): b is string => b !== null))];
    const counters =
      batchIds.length === 0 ? [] : await getDb(env).select().from(batches).where(inJson(batches.batchId, batchIds));
    const byId = new Map(counters.map((b) => [b.batchId, b]));
    const eventOf = (row: EventRow) => toEvent(row, row.batchId === null ? undefined : byId.get(row.batchId), now);
    const byOwner = new Map<string, TaskEvent[]>();
    for (const row of byOwnerHub) {
      const list = byOwner.get(row.owner) ?? [];
      list.push(eventOf(row));
      byOwner.set(row.owner, list);
    }
    const hubs = [...byOwner].map(([owner, list]) => env.REALTIME.getByName(owner).publish(list));
    if (toAllHub.length > 0) hubs.push(env.REALTIME.getByName(ALL_HUB).publish(toAllHub.map(eventOf)));
    await Promise.all(hubs);
  } catch (error) {
    log.warn("publishing task events failed", { tasks: watched.map((r) => r.name), ...describeError(error) });
  }
}
