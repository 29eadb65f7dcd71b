// Which methods have objects: every method ever enqueued is in the route registry (and every
// configured one has a task type); an object keeps its `live_until` in the future while it holds
// work, and the log's live rows name the rest.
import { and, gt, gte, lt, sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";
import { methodRoutes, taskTypes } from "./schema";

/**
 * Every method whose object may exist: one that ever had a task (its route), one with a task type
 * (configuring it creates its object), one the log shows live.
 */
export async function allMethods(db: Db): Promise<string[]> {
  const routed = await db.select({ method: methodRoutes.method }).from(methodRoutes);
  const typed = await db.select({ method: taskTypes.method }).from(taskTypes);
  const logged = await methodsLiveInLog(db);
  return [...new Set([...routed.map((r) => r.method), ...typed.map((r) => r.method), ...logged])];
}

/** Methods whose objects hold work (their mark is in the future), and methods the log shows live. */
export async function liveMethods(db: Db, now: number): Promise<string[]> {
  const rows = await db
    .select({ method: methodRoutes.method })
    .from(methodRoutes)
    .where(gt(methodRoutes.liveUntil, now));
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

/** The methods of a remote target (`<target>:…`) whose objects may hold tasks. */
export async function methodsOfTarget(db: Db, target: string): Promise<string[]> {
  // `<target>:` up to `<target>;` (the next character) is exactly the target's method names.
  const range = and(gte(methodRoutes.method, `${target}:`), lt(methodRoutes.method, `${target};`));
  const routed = await db.select({ method: methodRoutes.method }).from(methodRoutes).where(range);
  const logged = (await methodsLiveInLog(db)).filter((m) => m.startsWith(`${target}:`));
  return [...new Set([...routed.map((r) => r.method), ...logged])];
}
