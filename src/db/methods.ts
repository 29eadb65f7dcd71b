// Which methods have objects: every method ever enqueued is in the route registry, and an object
// keeps its `live_until` in the future while it holds work; the log's live rows name the rest.
import { gt, sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";
import { methodRoutes } from "./schema";

/** Every method that has ever had a task (whose object may hold state). */
export async function allMethods(db: Db): Promise<string[]> {
  const rows = await db.select({ method: methodRoutes.method }).from(methodRoutes);
  const logged = await methodsLiveInLog(db);
  return [...new Set([...rows.map((r) => r.method), ...logged])];
}

/** Methods whose objects hold work (their mark is in the future), and methods the log shows live. */
export async function liveMethods(db: Db, now: number): Promise<string[]> {
  const rows = await db.select({ method: methodRoutes.method }).from(methodRoutes).where(gt(methodRoutes.liveUntil, now));
  return [...new Set([...rows.map((r) => r.method), ...(await methodsLiveInLog(db))])];
}

const live = sql.raw(taskWhere.live());

/** Distinct methods with live rows in the log: a skip-scan over tasks_live, one seek per method. */
async function methodsLiveInLog(db: Db): Promise<string[]> {
  const rows = await db.all<{ method: string }>(sql`
    WITH RECURSIVE m(method) AS (
      SELECT min(method) FROM tasks INDEXED BY tasks_live WHERE ${live}
      UNION ALL
      SELECT (SELECT min(method) FROM tasks INDEXED BY tasks_live WHERE ${live} AND method > m.method)
      FROM m WHERE m.method IS NOT NULL
    )
    SELECT method FROM m WHERE method IS NOT NULL`);
  return rows.map((r) => r.method);
}
