// The log and catalogue's part of GET /api/v1/metrics: every schedule's counters, its last run's
// lag and next due time, and every remote target's credential state. Counters here are the ones
// the schedule engine already keeps (scheduled_jobs), read as they are: nothing is written.
import { sql } from "drizzle-orm";
import type { Db } from "./client";

/** One schedule as the metrics see it. */
export interface ScheduleFigures {
  name: string;
  method: string;
  runs: number;
  missed: number;
  skipped: number;
  skippedOverlap: number;
  failed: number;
  stopped: boolean;
  nextFireAt: number | null;
  /** The latest run's lag (enqueue time minus its slot), null before any run. */
  lastLagMs: number | null;
}

/** Every schedule with its counters and its latest run's lag (one seek per schedule on the run log's key). */
export async function scheduleFigures(db: Db): Promise<ScheduleFigures[]> {
  const rows = await db.all<{
    name: string;
    method: string;
    runs: number;
    missed_count: number;
    skipped: number;
    skipped_overlap: number;
    failed: number;
    stopped: number;
    next_fire_at: number | null;
    lag_ms: number | null;
  }>(sql`
    SELECT j.name, j.method, j.runs, j.missed_count, j.skipped, j.skipped_overlap, j.failed, j.stopped, j.next_fire_at,
      (SELECT r.lag_ms FROM schedule_runs r
        WHERE r.schedule = j.name AND r.kind = 'slot' AND r.lag_ms IS NOT NULL
        ORDER BY r.slot DESC LIMIT 1) AS lag_ms
    FROM scheduled_jobs j ORDER BY j.name`);
  return rows.map((r) => ({
    name: r.name,
    method: r.method,
    runs: r.runs,
    missed: r.missed_count,
    skipped: r.skipped,
    skippedOverlap: r.skipped_overlap,
    failed: r.failed,
    stopped: r.stopped === 1,
    nextFireAt: r.next_fire_at,
    lastLagMs: r.lag_ms,
  }));
}

/** Every remote target's name and whether it last refused our credentials. */
export async function targetFigures(db: Db): Promise<{ name: string; authFailed: boolean }[]> {
  const rows = await db.all<{ name: string; auth_failed: number }>(
    sql`SELECT name, auth_failed FROM remote_targets ORDER BY name`,
  );
  return rows.map((r) => ({ name: r.name, authFailed: r.auth_failed === 1 }));
}
