// Which methods' schedulers need a pass: used by the cron safety net and when the dispatcher resumes.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";

/**
 * Distinct methods with dispatchable Pending tasks. A skip-scan over the tasks_dispatch index:
 * one index seek per method, however many tasks wait.
 */
export async function methodsWithPending(db: Db): Promise<string[]> {
  const rows = await db.all<{ method: string }>(sql`
    WITH RECURSIVE m(method) AS (
      SELECT min(method) FROM tasks WHERE status = 'Pending' AND wake_at IS NULL
      UNION ALL
      SELECT (SELECT min(method) FROM tasks WHERE status = 'Pending' AND wake_at IS NULL AND method > m.method)
      FROM m WHERE m.method IS NOT NULL
    )
    SELECT method FROM m WHERE method IS NOT NULL`);
  return rows.map((r) => r.method);
}

/** Methods with a timer due (delayed start, scheduled retry) or an expired lease at `now`. */
export async function methodsWithDueTimers(db: Db, now: number): Promise<string[]> {
  const rows = await db.all<{ method: string }>(sql`
    SELECT DISTINCT method FROM tasks
      WHERE wake_at IS NOT NULL AND wake_at <= ${now} AND status IN ('Pending', 'Failed')
    UNION
    SELECT DISTINCT method FROM tasks
      WHERE queued_at IS NOT NULL AND ended_at IS NULL AND lease_until <= ${now}`);
  return rows.map((r) => r.method);
}
