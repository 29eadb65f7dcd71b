// The log's part of the ops summary: recent failures per method (on the tasks_failed partial index).
import { sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";

/** Failures per method since `since` (ended, or waiting for a retry). */
export async function failuresSince(db: Db, since: number): Promise<Map<string, number>> {
  const rows = await db.all<{ method: string; n: number }>(
    sql`SELECT method, count(*) AS n FROM tasks INDEXED BY tasks_failed WHERE ${sql.raw(taskWhere.failed())} AND ended_at >= ${since} GROUP BY method`,
  );
  return new Map(rows.map((r) => [r.method, r.n]));
}
