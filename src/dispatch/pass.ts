// One scheduler pass for a method: admit Pending tasks into free slots, and — when a timer is due —
// fire delayed starts and scheduled retries, re-send lost messages and fail tasks whose worker
// vanished. Reports when the next timer is due so the scheduler can keep its alarm on it.
//
// Status lists in these statements are SQL literals, never bound parameters: SQLite only uses a
// partial index (tasks_in_flight, tasks_wake, tasks_dispatch) when it can see at plan time that the
// query's WHERE implies the index's, and a bound list hides that — the pass would then read the
// method's whole task history.
import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import { getDb, type Db } from "../db/client";
import { IN_FLIGHT, settings, taskTypes, tasks } from "../db/schema";
import { config } from "../lib/config";
import { log } from "../lib/log";
import { eventColumns, publishTaskEvents, type EventRow } from "../realtime/events";
import { clearedRun, failTask } from "../tasks/lifecycle";
import { sendTaskMessages } from "../tasks/messages";

export interface PassResult {
  /** Tasks moved Pending → Queued (and sent) by this pass. */
  admitted: number;
  /** Epoch ms of the earliest timer (delayed start, retry, lease), or null if none. */
  nextTimerAt: number | null;
  /** True when the pass hit its admission cap or freed slots, so another pass should follow. */
  again: boolean;
}

const inFlight = sql.raw(IN_FLIGHT);

/**
 * How many Pending tasks of `method` may be admitted right now, as one SQL expression evaluated
 * inside the admitting UPDATE. Because D1 runs each statement atomically, the concurrency limit
 * holds even if two passes for the same method ever overlap.
 */
function admissionLimit(method: string, cap: number) {
  const limit = sql`(SELECT ${taskTypes.concurrencyLimit} FROM ${taskTypes} WHERE ${taskTypes.method} = ${method})`;
  const running = sql`(SELECT count(*) FROM ${tasks} INDEXED BY tasks_in_flight WHERE ${tasks.method} = ${method} AND ${inFlight})`;
  const enabled = sql`coalesce((SELECT ${settings.value} FROM ${settings} WHERE ${settings.key} = 'dispatcher_enabled'), '1') = '1'`;
  return sql`CASE
    WHEN NOT ${enabled} THEN 0
    WHEN coalesce(${limit}, 0) = 0 THEN ${cap}
    ELSE min(${cap}, max(0, ${limit} - ${running}))
  END`;
}

/** The admitting statement: Pending → Queued for the first N dispatchable tasks in order. */
function admit(db: Db, method: string, now: number, leaseMs: number, cap: number) {
  return db
    .update(tasks)
    .set({
      status: "Queued",
      seq: sql`${tasks.seq} + 1`,
      queuedAt: now,
      attempt: sql`${tasks.attempt} + 1`,
      leaseUntil: now + leaseMs,
    })
    .where(
      and(
        sql`${tasks.status} = 'Pending'`,
        sql`${tasks.name} IN (
          SELECT ${tasks.name} FROM ${tasks}
          WHERE ${tasks.method} = ${method} AND ${tasks.status} = 'Pending' AND ${tasks.wakeAt} IS NULL
          ORDER BY ${tasks.lane} DESC, ${tasks.priority} DESC, ${tasks.orderKey}, ${tasks.batchOrder}, ${tasks.name}
          LIMIT ${admissionLimit(method, cap)})`,
      ),
    )
    .returning(eventColumns);
}

/** The earliest timer of the method: a delayed start or retry (wake_at) or a lease. */
function nextTimer(db: Db, method: string) {
  return db
    .select({
      nextWake: sql<
        number | null
      >`(SELECT min(${tasks.wakeAt}) FROM ${tasks} WHERE ${tasks.method} = ${method} AND ${tasks.wakeAt} IS NOT NULL AND ${tasks.status} IN ('Pending', 'Failed'))`,
      nextLease: sql<
        number | null
      >`(SELECT min(${tasks.leaseUntil}) FROM ${tasks} WHERE ${tasks.method} = ${method} AND ${inFlight})`,
    })
    .from(sql`(SELECT 1)`);
}

/** Statements that fire the method's due timers (run only when a timer is due). */
function timerStatements(db: Db, method: string, now: number) {
  const due = and(eq(tasks.method, method), isNotNull(tasks.wakeAt), lte(tasks.wakeAt, now));
  return [
    // Scheduled retries that are due: Failed → Pending.
    db
      .update(tasks)
      .set({
        status: "Pending",
        seq: sql`${tasks.seq} + 1`,
        retryCount: sql`${tasks.retryCount} + 1`,
        // The last error stays visible until the next outcome.
        ...clearedRun,
      })
      .where(and(due, sql`${tasks.status} = 'Failed'`))
      .returning(eventColumns),
    // Delayed starts that are due become dispatchable.
    db
      .update(tasks)
      .set({ wakeAt: null })
      .where(and(due, sql`${tasks.status} = 'Pending'`)),
    // In-flight tasks whose lease ran out (handled after the batch).
    db
      .select({
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
      })
      .from(tasks)
      .where(and(eq(tasks.method, method), inFlight, lte(tasks.leaseUntil, now))),
  ] as const;
}

/**
 * Runs one pass for `method`. With `timersDue` false it only admits and reads the next timer
 * (two statements); with it true it first fires due timers and handles expired leases. Safe to
 * run concurrently with anything: every write is a compare-and-set.
 */
export async function runPass(env: Env, method: string, timersDue: boolean, now = Date.now()): Promise<PassResult> {
  const db = getDb(env);
  const cfg = config(env);
  const admitting = admit(db, method, now, cfg.queuedLeaseMs, cfg.admitPerPass);
  let retried: EventRow[] = [];
  let expired: Awaited<ReturnType<typeof timerStatements>[2]> = [];
  let admitted: EventRow[];
  let next: { nextWake: number | null; nextLease: number | null } | undefined;
  if (timersDue) {
    const [r, , e, a, [n]] = await db.batch([...timerStatements(db, method, now), admitting, nextTimer(db, method)]);
    [retried, expired, admitted, next] = [r, e, a, n];
  } else {
    const [a, [n]] = await db.batch([admitting, nextTimer(db, method)]);
    [admitted, next] = [a, n];
  }

  const resend: { name: string; attempt: number; queue: string }[] = [];
  const lost: EventRow[] = [];
  for (const task of expired) {
    if (task.status === "Queued") {
      // The message was presumed lost: extend the lease and send it again. A duplicate delivery is
      // harmless — the claim lets exactly one through.
      const [row] = await db
        .update(tasks)
        .set({ leaseUntil: now + cfg.queuedLeaseMs })
        .where(and(eq(tasks.name, task.name), sql`${tasks.status} = 'Queued'`, eq(tasks.attempt, task.attempt)))
        .returning({ name: tasks.name, attempt: tasks.attempt, queue: tasks.queue });
      if (row) resend.push(row);
    } else {
      const { failed, paused } = await failTask(
        db,
        task,
        {
          error: `WorkerLost: no outcome was recorded within timeout (${task.timeout}s) + grace; the worker is presumed lost`,
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
