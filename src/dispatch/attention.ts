// Which methods' schedulers need a pass: used by the cron safety net and when the dispatcher resumes.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { taskWhere } from "../shared/states";

const dispatchable = sql.raw(taskWhere.dispatchable());
const inFlight = sql.raw(taskWhere.inFlight());
const timerWaiting = sql.raw(taskWhere.timerWaiting());

/**
 * Distinct methods with dispatchable Pending tasks. A skip-scan over the tasks_dispatch index:
 * one index seek per method, however many tasks wait.
 */
export async function methodsWithPending(db: Db): Promise<string[]> {
  const rows = await db.all<{ method: string }>(sql`
    WITH RECURSIVE m(method) AS (
      SELECT min(method) FROM tasks WHERE ${dispatchable}
      UNION ALL
      SELECT (SELECT min(method) FROM tasks WHERE ${dispatchable} AND method > m.method)
      FROM m WHERE m.method IS NOT NULL
    )
    SELECT method FROM m WHERE method IS NOT NULL`);
  return rows.map((r) => r.method);
}

/** Methods with a timer due (delayed start, scheduled retry) or an expired lease at `now`. */
export async function methodsWithDueTimers(db: Db, now: number): Promise<string[]> {
  const rows = await db.all<{ method: string }>(sql`
    SELECT DISTINCT method FROM tasks WHERE ${timerWaiting} AND wake_at <= ${now}
    UNION
    SELECT DISTINCT method FROM tasks WHERE ${inFlight} AND lease_until <= ${now}`);
  return rows.map((r) => r.method);
}
