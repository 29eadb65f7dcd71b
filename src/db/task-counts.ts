// How many tasks a list filter matches, per status — bounded: each status is counted up to a cap,
// so a count never reads more than cap + 1 rows per status however large the log grows.
import { and, count, sql, type SQL } from "drizzle-orm";
import { TASK_STATUSES, type TaskStatus } from "../shared/states";
import type { Db } from "./client";
import { filterWhere, type TaskFilter } from "./task-filter";
import { tasks } from "./schema";

/**
 * Tasks matching `filter` (and `also`, e.g. the statuses an action starts from) per status, each
 * counted up to `cap + 1` (more than `cap` means "cap or more"). One statement per status in one
 * batch; the status is a literal, so SQLite can use the partial indexes that cover it.
 */
export async function countByStatus(
  db: Db,
  filter: TaskFilter,
  cap: number,
  also?: SQL,
): Promise<Record<TaskStatus, number>> {
  const where = and(filterWhere({ ...filter, status: undefined }), also);
  const statuses = filter.status === undefined ? TASK_STATUSES : [filter.status];
  const queries = statuses.map((status) => {
    const matching = db
      .select({ one: sql`1` })
      .from(tasks)
      .where(and(sql.raw(`"tasks"."status" = '${status}'`), where))
      .limit(cap + 1)
      .as("matching");
    return db.select({ n: count() }).from(matching);
  });
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  const [first, ...rest] = queries;
  if (first === undefined) return counts;
  const results = await db.batch([first, ...rest]);
  statuses.forEach((status, i) => (counts[status] = results[i]?.[0]?.n ?? 0));
  return counts;
}
