// Reads of the task log: one task or several by name (as the log has them), filtered pages for
// the list endpoint, and the newest live rows for the every-task snapshot.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";
import { inJson } from "./in-json";
import { tasks, type TaskRow } from "./schema";
import { filterConditions, type TaskFilter } from "./task-filter";

/** A log row without the log's own bookkeeping. */
export type LoggedTask = Omit<TaskRow, "loggedAt">;

const withoutLogFields = ({ loggedAt: _loggedAt, ...task }: TaskRow): LoggedTask => task;

/** The task as the log has it, or null. */
export async function getLoggedTask(db: Db, name: string): Promise<LoggedTask | null> {
  const [row] = await db.select().from(tasks).where(eq(tasks.name, name));
  return row ? withoutLogFields(row) : null;
}

/** Several tasks as the log has them (unknown names left out). */
export async function getLoggedTasks(db: Db, names: readonly string[]): Promise<LoggedTask[]> {
  if (names.length === 0) return [];
  return (
    await db
      .select()
      .from(tasks)
      .where(inJson(tasks.name, [...names]))
  ).map(withoutLogFields);
}

export type { TaskFilter };

/** A page of tasks, newest first. `cursor` is the last name of the previous page. */
export async function listTasks(
  db: Db,
  filter: TaskFilter,
  limit: number,
  cursor: string | undefined,
): Promise<{ rows: LoggedTask[]; nextCursor: string | null }> {
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
  return { rows: page.map(withoutLogFields), nextCursor: more ? (page[page.length - 1]?.name ?? null) : null };
}

/**
 * The newest `limit` live rows of the log (of one owner, or of everyone), newest first, read on the
 * tasks_live index — only live rows, however many ended tasks the table holds.
 */
export async function newestLiveTasks(db: Db, limit: number, owner?: string): Promise<LoggedTask[]> {
  const ofOwner = owner === undefined ? sql`` : sql` AND owner = ${owner}`;
  const names = await db.all<{ name: string }>(
    sql`SELECT name FROM tasks INDEXED BY tasks_live WHERE ${sql.raw(taskWhere.live())}${ofOwner} ORDER BY name DESC LIMIT ${limit}`,
  );
  if (names.length === 0) return [];
  const rows = await db
    .select()
    .from(tasks)
    .where(
      inJson(
        tasks.name,
        names.map((r) => r.name),
      ),
    )
    .orderBy(desc(tasks.name));
  return rows.map(withoutLogFields);
}
