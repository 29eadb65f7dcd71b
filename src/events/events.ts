// The async_task_status event: built from a task's change as its method's object recorded it, and
// sent to the owner's hub (and the every-task hub) only when someone watches the task, its batch
// or its owner. A transition's event goes out once the log has written it — the write read the
// watches in the same statement — so a subscriber registered before the write always gets it.
import { getDb } from "../db/client";
import { inJson } from "../db/in-json";
import { batches, type BatchRow, type TaskRow } from "../db/schema";
import { errorSummary } from "../shared/errors";
import { fromJson } from "../shared/json";
import { describeError, log } from "../shared/log";
import { ALL_HUB } from "../shared/realtime-scopes";
import type { TaskEvent } from "./event-types";

export type { TaskEvent };

/** A task's state at one transition: what its event shows. */
export type TaskChange = Pick<
  TaskRow,
  | "name"
  | "jobName"
  | "method"
  | "status"
  | "statusMessage"
  | "errorMessage"
  | "progress"
  | "batchId"
  | "owner"
  | "seq"
  | "wakeAt"
  | "attempt"
  | "queue"
>;

/** When the watches covering a task end (null: nobody watches). */
export interface Watches {
  /** Its task's, batch's or owner's watch: the owner's hub publishes. */
  watchUntil: number | null;
  /** The every-task watch: the ALL_HUB publishes. */
  allWatchUntil: number | null;
}

/** A change with the watches that cover it. */
export type EventRow = TaskChange & Watches;

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

/** Builds the event for a change (batch counters from `batch` when the task is in one). */
export function toEvent(row: TaskChange, batch: BatchRow | undefined, now: number): TaskEvent {
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
 * Publishes events for the changes someone watches: one hub call per owner whose task, batch or
 * own-tasks scope is watched, and one to ALL_HUB for the changes the every-task watch covers.
 * Batch counters come from `counters` (read with the log write) or, when not given, from D1.
 * Never throws: realtime is a view, and clients resync from snapshots.
 */
export async function publishTaskEvents(
  env: Env,
  rows: readonly (EventRow | null)[],
  now = Date.now(),
  counters?: ReadonlyMap<string, BatchRow>,
): Promise<void> {
  const live = (until: number | null) => until !== null && until > now;
  const byOwnerHub = rows.filter((r): r is EventRow => r !== null && live(r.watchUntil));
  const toAllHub = rows.filter((r): r is EventRow => r !== null && live(r.allWatchUntil));
  if (byOwnerHub.length === 0 && toAllHub.length === 0) return;
  const watched = [...new Set([...byOwnerHub, ...toAllHub])];
  try {
    let byId = counters;
    const missing = [
      ...new Set(watched.map((r) => r.batchId).filter((b): b is string => b !== null && !counters?.has(b))),
    ];
    if (missing.length > 0) {
      const read = await getDb(env).select().from(batches).where(inJson(batches.batchId, missing));
      byId = new Map([...(counters ?? []), ...read.map((b) => [b.batchId, b] as const)]);
    }
    const eventOf = (row: EventRow) => toEvent(row, row.batchId === null ? undefined : byId?.get(row.batchId), now);
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
