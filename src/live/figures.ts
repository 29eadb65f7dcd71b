// What the method's object reports about its live tasks as a whole, read at one instant: counts by
// status for the ops summary, and the states and oldest wait the metrics expose. Read-only.
import { isEnded, type TaskStatus } from "../shared/states";
import type { Live, LiveState } from "./live";

/** Counts per status of the tasks this object holds (for ops), and the oldest dispatchable one. */
export function liveSummary(live: Live): {
  counts: Record<TaskStatus, number>;
  delayed: number;
  oldestPendingAt: number | null;
} {
  const counts: Record<TaskStatus, number> = {
    Pending: 0,
    Queued: 0,
    Started: 0,
    Finished: 0,
    Failed: 0,
    Canceled: 0,
    Paused: 0,
  };
  let delayed = 0;
  let oldest: number | null = null;
  const held = JSON.stringify([...live.holds.keys()]);
  const rows = live.store.exec<{ name: string; status: TaskStatus; wake_at: number | null; created_at: number }>(
    `SELECT name, status, wake_at, created_at FROM tasks WHERE hold IS NULL OR hold NOT IN (SELECT value FROM json_each(?))`,
    held,
  );
  for (const r of rows) {
    const attempt = live.inFlight.get(r.name);
    const status = attempt ? attempt.status : r.status;
    const wakeAt = attempt ? attempt.wakeAt : r.wake_at;
    if (isEnded({ status, wakeAt })) continue;
    counts[status]++;
    if (status === "Pending" && wakeAt !== null) delayed++;
    if (status === "Pending" && wakeAt === null && (oldest === null || r.created_at < oldest)) oldest = r.created_at;
  }
  counts.Pending -= delayed;
  return { counts, delayed, oldestPendingAt: oldest };
}

/**
 * The method's live tasks by state now (Pending counts only dispatchable ones; Delayed and
 * Retrying wait for a timer) and since when the longest-waiting dispatchable or Queued task could
 * start (its row's last write: enqueue, due time, retry or resume).
 */
export function liveGauges(live: Live): { states: Record<LiveState, number>; oldestWaitingSince: number | null } {
  const states: Record<LiveState, number> = { Pending: 0, Delayed: 0, Paused: 0, Queued: 0, Started: 0, Retrying: 0 };
  let oldest: number | null = null;
  const held = JSON.stringify([...live.holds.keys()]);
  const rows = live.store.exec<{ name: string; status: TaskStatus; wake_at: number | null; changed_at: number }>(
    `SELECT name, status, wake_at, changed_at FROM tasks WHERE hold IS NULL OR hold NOT IN (SELECT value FROM json_each(?))`,
    held,
  );
  for (const r of rows) {
    const attempt = live.inFlight.get(r.name);
    const status = attempt ? attempt.status : r.status;
    const wakeAt = attempt ? attempt.wakeAt : r.wake_at;
    if (isEnded({ status, wakeAt })) continue;
    const state: LiveState =
      status === "Pending" && wakeAt !== null ? "Delayed" : status === "Failed" ? "Retrying" : (status as LiveState);
    if (!(state in states)) continue;
    states[state]++;
    if ((state === "Pending" || state === "Queued") && (oldest === null || r.changed_at < oldest))
      oldest = r.changed_at;
  }
  return { states, oldestWaitingSince: oldest };
}
