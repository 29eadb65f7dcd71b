// The admission rule — the one place where the concurrency limit and the dispatcher switch decide
// how many of a method's tasks may start — and the statement that admits them (Pending → Queued).
import { and, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { settings, taskTypes, tasks } from "../db/schema";
import { DISPATCHER_KEY, taskWhere } from "../shared/states";
import { eventColumns, nextSeq } from "./columns";

const inFlight = (alias: string) => sql.raw(taskWhere.inFlight((c) => `${alias}.${c}`));
const dispatchable = (alias: string) => sql.raw(taskWhere.dispatchable((c) => `${alias}.${c}`));

/**
 * How many dispatchable tasks of `method` may be admitted right now, at most `cap`: none while the
 * dispatcher is off; `cap` when the method has no limit; otherwise the free slots (limit minus the
 * method's Queued + Started count). One SQL expression, evaluated inside the statement that uses
 * it — D1 runs each statement atomically, so the limit holds even if two passes ever overlap.
 */
export function admissionLimit(method: SQL, cap: number): SQL {
  const limit = sql`(SELECT ${taskTypes.concurrencyLimit} FROM ${taskTypes} WHERE ${taskTypes.method} = ${method})`;
  const running = sql`(SELECT count(*) FROM tasks AS running INDEXED BY tasks_in_flight WHERE running.method = ${method} AND ${inFlight("running")})`;
  const enabled = sql`coalesce((SELECT ${settings.value} FROM ${settings} WHERE ${settings.key} = ${sql.raw(`'${DISPATCHER_KEY}'`)}), '1') = '1'`;
  return sql`(CASE
    WHEN NOT ${enabled} THEN 0
    WHEN coalesce(${limit}, 0) = 0 THEN ${cap}
    ELSE min(${cap}, max(0, ${limit} - ${running}))
  END)`;
}

/**
 * Whether a pass of the row's method would admit a task now: it has dispatchable work and the
 * admission rule allows one. Read in the RETURNING of enqueue and of outcomes (which see the
 * table after their own change), so "no wake needed" is never stale.
 */
// Spelled out, not ${tasks.method}: in a RETURNING clause drizzle renders the written table's columns
// unqualified, and inside a subquery an unqualified `method` would name the subquery's own column.
const rowMethod = sql.raw(`"tasks"."method"`);
export const admitsNow = sql<number>`(${admissionLimit(rowMethod, 1)} > 0 AND EXISTS (SELECT 1 FROM tasks AS waiting INDEXED BY tasks_dispatch WHERE waiting.method = ${rowMethod} AND ${dispatchable("waiting")}))`;

/**
 * Pending → Queued for the first dispatchable tasks of `method` in admission order — at_front
 * (lane), then priority, then creation order, where a batch takes its place by its creation
 * (order_key) and batch_order orders only within it — as many as the admission rule allows.
 */
export function admit(db: Db, method: string, now: number, leaseMs: number, cap: number) {
  return db
    .update(tasks)
    .set({
      status: "Queued",
      seq: nextSeq,
      queuedAt: now,
      attempt: sql`${tasks.attempt} + 1`,
      leaseUntil: now + leaseMs,
    })
    .where(
      and(
        sql`${tasks.status} = 'Pending'`,
        sql`${tasks.name} IN (
          SELECT ${tasks.name} FROM ${tasks}
          WHERE ${tasks.method} = ${method} AND ${sql.raw(taskWhere.dispatchable())}
          ORDER BY ${tasks.lane} DESC, ${tasks.priority} DESC, ${tasks.orderKey}, ${tasks.batchOrder}, ${tasks.name}
          LIMIT ${admissionLimit(sql`${method}`, cap)})`,
      ),
    )
    .returning(eventColumns);
}
