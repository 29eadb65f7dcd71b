// Task reads: one by name, and filtered pages for the list endpoint.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";
import { tasks, type TaskRow } from "./schema";
import { filterConditions, type TaskFilter } from "./task-filter";

/** The task, or null. */
export async function getTask(db: Db, name: string): Promise<TaskRow | null> {
  const [row] = await db.select().from(tasks).where(eq(tasks.name, name));
  return row ?? null;
}

export type { TaskFilter };

/** A page of tasks, newest first. `cursor` is the last name of the previous page. */
export async function listTasks(
  db: Db,
  filter: TaskFilter,
  limit: number,
  cursor: string | undefined,
): Promise<{ rows: TaskRow[]; nextCursor: string | null }> {
  const conditions = filterConditions(filter);
  if (cursor) conditions.push(lt(tasks.name, cursor));
  const rows = await db
    .select()
    .from(tasks)
    .where(and(...conditions))
    .orderBy(desc(tasks.name))
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextCursor: more ? (page[page.length - 1]?.name ?? null) : null };
}

/** Whether the attempt is still Started (the running handler's cancel check). */
export async function stillStarted(db: Db, task: { name: string; attempt: number }): Promise<boolean> {
  const [row] = await db
    .select({ status: tasks.status, attempt: tasks.attempt })
    .from(tasks)
    .where(eq(tasks.name, task.name));
  return row !== undefined && row.status === "Started" && row.attempt === task.attempt;
}

/**
 * The names of the newest `limit` live tasks of every owner, newest first. Live is the union of the
 * partial indexes' conditions (dispatchable, in flight, a timer set, paused), so only live rows are
 * read however many ended tasks the table holds.
 */
export async function newestLiveTaskNames(db: Db, limit: number): Promise<string[]> {
  const w = (condition: string) => sql.raw(condition);
  const rows = await db.all<{ name: string }>(sql`
    SELECT name FROM (
      SELECT name FROM tasks INDEXED BY tasks_dispatch WHERE ${w(taskWhere.dispatchable())}
      UNION ALL SELECT name FROM tasks INDEXED BY tasks_in_flight WHERE ${w(taskWhere.inFlight())}
      UNION ALL SELECT name FROM tasks INDEXED BY tasks_wake WHERE ${w(taskWhere.timerWaiting())}
      UNION ALL SELECT name FROM tasks INDEXED BY tasks_paused WHERE ${w(taskWhere.paused())}
    ) ORDER BY name DESC LIMIT ${limit}`);
  return rows.map((r) => r.name);
}
