// What alert rules are evaluated on, read from the log and the catalogue: failures and totals per
// method over a window, dead-lettered attempts, missed schedule slots. Each is one statement,
// asked only when a rule needs it.
import { sql } from "drizzle-orm";
import { idFloor } from "../shared/ids";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";
import { CREATED_SLACK_MS } from "./stats";

/** Per method: final failures since `since` and the earliest of them (on the tasks_failed index). */
export async function failuresByMethod(
  db: Db,
  since: number,
): Promise<Map<string, { failed: number; firstAt: number; deadLettered: number }>> {
  const rows = await db.all<{ method: string; failed: number; first_at: number; dead: number }>(sql`
    SELECT method, count(*) AS failed, min(ended_at) AS first_at,
      sum(error_message LIKE 'DeadLettered:%') AS dead
    FROM tasks INDEXED BY tasks_failed
    WHERE ${sql.raw(taskWhere.failed())} AND ended_at >= ${since}
    GROUP BY method`);
  return new Map(rows.map((r) => [r.method, { failed: r.failed, firstAt: r.first_at, deadLettered: r.dead }]));
}

/**
 * Per method among `methods`: tasks that ended (finished or failed) since `since`. A range scan of
 * the log by name (names are time-ordered), asked only for methods that failed in the window.
 */
export async function endedByMethod(db: Db, since: number, methods: readonly string[]): Promise<Map<string, number>> {
  if (methods.length === 0) return new Map();
  const rows = await db.all<{ method: string; n: number }>(sql`
    SELECT method, count(*) AS n FROM tasks
    WHERE name >= ${idFloor(since - CREATED_SLACK_MS)} AND ended_at >= ${since}
      AND status IN ('Finished', 'Failed')
      AND method IN (SELECT value FROM json_each(${JSON.stringify(methods)}))
    GROUP BY method`);
  return new Map(rows.map((r) => [r.method, r.n]));
}

/** Per schedule: missed slots recorded since `since` (stretches count their slots) and the first. */
export async function missedBySchedule(
  db: Db,
  since: number,
): Promise<Map<string, { missed: number; firstAt: number }>> {
  const rows = await db.all<{ schedule: string; missed: number; first_at: number }>(sql`
    SELECT schedule, sum(coalesce(count, 1)) AS missed, min(at) AS first_at FROM schedule_runs
    WHERE schedule IN (SELECT name FROM scheduled_jobs) AND outcome = 'missed' AND at >= ${since}
    GROUP BY schedule`);
  return new Map(rows.map((r) => [r.schedule, { missed: r.missed, firstAt: r.first_at }]));
}
