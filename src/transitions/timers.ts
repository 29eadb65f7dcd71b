// The method scheduler's timers as transitions: scheduled retries that are due (Failed → Pending),
// delayed starts that are due (they become dispatchable), leases that ran out (found here, handled
// by the pass), a re-sent message's fresh lease, and the method's next timer.
import { and, eq, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import { taskWhere, type QueueName } from "../shared/states";
import { eventColumns, nextSeq } from "./columns";
import { clearedRun } from "./outcome";

const inFlight = sql.raw(taskWhere.inFlight());
const timerWaiting = sql.raw(taskWhere.timerWaiting());

/** The fields a lapsed lease needs to be failed or re-sent. */
export const leaseColumns = {
  name: tasks.name,
  status: tasks.status,
  attempt: tasks.attempt,
  queue: tasks.queue,
  retryCount: tasks.retryCount,
  maxRetries: tasks.maxRetries,
  retryDelay: tasks.retryDelay,
  retryBackoff: tasks.retryBackoff,
  batchId: tasks.batchId,
  timeout: tasks.timeout,
};

/**
 * The statements that fire `method`'s due timers, for one D1 batch: due retries (Failed →
 * Pending, a retry counted; the last error stays visible until the next outcome), due delayed
 * starts (dispatchable from now), then a read of the in-flight tasks whose lease ran out.
 */
export function fireDueTimers(db: Db, method: string, now: number) {
  const due = and(eq(tasks.method, method), sql`${tasks.wakeAt} IS NOT NULL`, lte(tasks.wakeAt, now));
  return [
    db
      .update(tasks)
      .set({ status: "Pending", seq: nextSeq, retryCount: sql`${tasks.retryCount} + 1`, ...clearedRun })
      .where(and(due, sql`${tasks.status} = 'Failed'`))
      .returning(eventColumns),
    db
      .update(tasks)
      .set({ wakeAt: null })
      .where(and(due, sql`${tasks.status} = 'Pending'`)),
    db
      .select(leaseColumns)
      .from(tasks)
      .where(and(eq(tasks.method, method), inFlight, lte(tasks.leaseUntil, now))),
  ] as const;
}

/** The earliest timer of `method` — a delayed start or retry (wake_at), or a lease — as one read. */
export function nextTimer(db: Db, method: string) {
  return db
    .select({
      nextWake: sql<
        number | null
      >`(SELECT min(${tasks.wakeAt}) FROM ${tasks} WHERE ${tasks.method} = ${method} AND ${timerWaiting})`,
      nextLease: sql<
        number | null
      >`(SELECT min(${tasks.leaseUntil}) FROM ${tasks} WHERE ${tasks.method} = ${method} AND ${inFlight})`,
    })
    .from(sql`(SELECT 1)`);
}

/**
 * A Queued task whose message was presumed lost gets a fresh lease, so its message can be sent
 * again (a duplicate delivery is harmless: the claim lets one through). Null when it left Queued
 * in this attempt meanwhile.
 */
export async function renewQueuedLease(
  db: Db,
  task: { name: string; attempt: number },
  until: number,
): Promise<{ name: string; attempt: number; queue: QueueName } | null> {
  const [[row]] = await db.batch([
    db
      .update(tasks)
      .set({ leaseUntil: until })
      .where(and(eq(tasks.name, task.name), sql`${tasks.status} = 'Queued'`, eq(tasks.attempt, task.attempt)))
      .returning({ name: tasks.name, attempt: tasks.attempt, queue: tasks.queue }),
  ]);
  return row ?? null;
}
