// The admission rule — the one place where the concurrency limit and the dispatcher switch decide
// how many of a method's tasks may start — and the statement that admits them (Pending → Queued).
import { and, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { settings, taskTypes, tasks } from "../db/schema";
import { DISPATCHER_KEY, taskWhere } from "../shared/states";
import { eventColumns, nextSeq } from "./columns";

const inFlight = (alias: string) => sql.raw(taskWhere.inFlight((c) => `${alias}.${c}`));
const dispatchable = (alias: string) => sql.raw(taskWhere.dispatchable((c) => `${alias}.${c}`));

/** The method's concurrency limit: NULL without a task type row, 0 = unlimited. */
export const methodLimit = (method: SQL) =>
  sql<number | null>`(SELECT ${taskTypes.concurrencyLimit} FROM ${taskTypes} WHERE ${taskTypes.method} = ${method})`;

/** How many of the method's tasks hold a slot (Queued + Started), from the in-flight partial index. */
export const methodRunning = (method: SQL) =>
  sql<number>`(SELECT count(*) FROM tasks AS running INDEXED BY tasks_in_flight WHERE running.method = ${method} AND ${inFlight("running")})`;

/** Whether the global dispatcher switch is on (no settings row = on). */
export const dispatcherOn = sql<number>`(coalesce((SELECT ${settings.value} FROM ${settings} WHERE ${settings.key} = ${sql.raw(`'${DISPATCHER_KEY}'`)}), '1') = '1')`;

/**
 * How many dispatchable tasks of `method` may be admitted right now, at most `cap`: none while the
 * dispatcher is off; `cap` when the method has no limit; otherwise the free slots (limit minus the
 * method's Queued + Started count). One SQL expression, evaluated inside the statement that uses
 * it — D1 runs each statement atomically, so the limit holds even if two passes ever overlap.
 */
export function admissionLimit(method: SQL, cap: number): SQL<number> {
  const limit = methodLimit(method);
  return sql<number>`(CASE
    WHEN NOT ${dispatcherOn} THEN 0
    WHEN coalesce(${limit}, 0) = 0 THEN ${cap}
    ELSE min(${cap}, max(0, ${limit} - ${methodRunning(method)}))
  END)`;
}

/**
 * Admission order: lane (2 run-now / retry-now, 1 at_front), then priority, then creation order —
 * a batch takes its place by its creation (order_key) and batch_order orders only within it — then
 * the name. Written once: admit's ORDER BY and admittedBefore are both generated from it, and it is
 * the order of the tasks_dispatch index.
 */
const ADMISSION_ORDER = [
  ["lane", "DESC"],
  ["priority", "DESC"],
  ["order_key", "ASC"],
  ["batch_order", "ASC"],
  ["name", "ASC"],
] as const;

const orderBy = (alias: string) => sql.raw(ADMISSION_ORDER.map(([c, dir]) => `${alias}.${c} ${dir}`).join(", "));

/**
 * True when the dispatchable task `before` (an alias) is admitted ahead of task `task` (an alias)
 * of the same method: the admission order as one row-value comparison (DESC columns negated).
 */
export function admittedBefore(before: string, task: string): SQL<number> {
  const row = (alias: string) =>
    ADMISSION_ORDER.map(([c, dir]) => (dir === "DESC" ? `-${alias}.${c}` : `${alias}.${c}`)).join(", ");
  return sql.raw(`((${row(before)}) < (${row(task)}))`) as SQL<number>;
}

/**
 * How many dispatchable tasks of the task row `task` (an alias)'s method are admitted before it:
 * its place in the line, counted on the tasks_dispatch partial index.
 */
export function tasksAhead(task: string): SQL<number> {
  return sql<number>`(SELECT count(*) FROM tasks AS ahead INDEXED BY tasks_dispatch WHERE ahead.method = ${sql.raw(`${task}.method`)} AND ${dispatchable("ahead")} AND ${admittedBefore("ahead", task)})`;
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
 * Pending → Queued for the first dispatchable tasks of `method` in admission order (see
 * ADMISSION_ORDER), as many as the admission rule allows.
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
          ORDER BY ${orderBy("tasks")}
          LIMIT ${admissionLimit(sql`${method}`, cap)})`,
      ),
    )
    .returning(eventColumns);
}
