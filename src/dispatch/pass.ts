// One scheduler pass for a method: admit Pending tasks into free slots, and — when a timer is due —
// fire delayed starts and scheduled retries, re-send lost messages and fail tasks whose worker
// vanished. Reports when the next timer is due so the scheduler can keep its alarm on it.
import { splitRemote } from "../remote/methods";
import { getDb } from "../db/client";
import { publishTaskEvents } from "../realtime/events";
import { config } from "../shared/config";
import { log } from "../shared/log";
import type { QueueName } from "../shared/states";
import { sendTaskMessages } from "../tasks/messages";
import { admit } from "../transitions/admission";
import type { EventRow } from "../transitions/columns";
import { failTask } from "../transitions/outcome";
import { fireDueTimers, nextTimer, renewQueuedLease } from "../transitions/timers";

export interface PassResult {
  /** Tasks moved Pending → Queued (and sent) by this pass. */
  admitted: number;
  /** Epoch ms of the earliest timer (delayed start, retry, lease), or null if none. */
  nextTimerAt: number | null;
  /** True when the pass hit its admission cap or freed slots, so another pass should follow. */
  again: boolean;
}

/**
 * Runs one pass for `method`. With `timersDue` false it only admits and reads the next timer (two
 * statements in one D1 batch); with it true it first fires due timers and reads expired leases.
 * Safe to run concurrently with anything: every write is a compare-and-set.
 */
export async function runPass(env: Env, method: string, timersDue: boolean, now = Date.now()): Promise<PassResult> {
  const db = getDb(env);
  const cfg = config(env);
  const admitting = admit(db, method, now, cfg.queuedLeaseMs, cfg.admitPerPass);
  let retried: EventRow[] = [];
  let expired: Awaited<ReturnType<typeof fireDueTimers>[2]> = [];
  let admitted: EventRow[];
  let next: { nextWake: number | null; nextLease: number | null } | undefined;
  if (timersDue) {
    const [r, , e, a, [n]] = await db.batch([...fireDueTimers(db, method, now), admitting, nextTimer(db, method)]);
    [retried, expired, admitted, next] = [r, e, a, n];
  } else {
    const [a, [n]] = await db.batch([admitting, nextTimer(db, method)]);
    [admitted, next] = [a, n];
  }

  const resend: { name: string; attempt: number; queue: QueueName }[] = [];
  const lost: EventRow[] = [];
  for (const task of expired) {
    if (task.status === "Queued") {
      // The message was presumed lost: a fresh lease, and the message again.
      const row = await renewQueuedLease(db, task, now + cfg.queuedLeaseMs);
      if (row) resend.push(row);
    } else {
      const { failed, paused } = await failTask(
        db,
        task,
        {
          error: splitRemote(method)
            ? `WorkerLost: no outcome or callback was recorded before the lease ran out (timeout ${task.timeout}s + grace; after a 202, one heartbeat interval); the remote attempt is presumed lost`
            : `WorkerLost: no outcome was recorded within timeout (${task.timeout}s) + grace; the worker is presumed lost`,
          permanent: false,
        },
        now,
      );
      lost.push(...paused);
      if (failed) {
        lost.push(failed);
        log.warn("lease expired", { task: task.name, method, attempt: task.attempt });
      }
    }
  }
  if (resend.length > 0) log.warn("re-sending lost messages", { method, tasks: resend.map((r) => r.name) });
  // Events first, so a subscriber sees Queued before the consumer's Started.
  await publishTaskEvents(env, [...retried, ...admitted, ...lost], now);
  await sendTaskMessages(env, [...admitted, ...resend]);

  const timers = [next?.nextWake, next?.nextLease].filter((t): t is number => typeof t === "number");
  return {
    admitted: admitted.length,
    nextTimerAt: timers.length > 0 ? Math.min(...timers) : null,
    again: admitted.length >= cfg.admitPerPass || expired.length > 0 || retried.length > 0,
  };
}
