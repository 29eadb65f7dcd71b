// Queries behind the console's Overview: per-method durations (p50/p95) and the last 24 hours of
// throughput and failures by hour. Bounded by a primary-key range: names are time-sortable ULIDs.
import { sql } from "drizzle-orm";
import { idFloor } from "../shared/ids";
import type { Db } from "./client";

/**
 * How far before the window a task may have been created and still be counted: tasks that waited or
 * ran longer than this before ending inside the window are left out, which keeps the scan a
 * primary-key range instead of the whole table.
 */
export const CREATED_SLACK_MS = 24 * 3_600_000;

export interface MethodDurations {
  method: string;
  finished: number;
  failed: number;
  p50_s: number | null;
  p95_s: number | null;
}

export interface HourBucket {
  /** Start of the hour, epoch ms. */
  hour: number;
  finished: number;
  failed: number;
  canceled: number;
}

const HOUR_MS = 3_600_000;

/** Per method, tasks that ended in [since, now): finished and final failures, and p50/p95 of finished durations. */
export async function methodDurations(db: Db, since: number): Promise<MethodDurations[]> {
  const floor = idFloor(since - CREATED_SLACK_MS);
  // Window functions rank each method's durations in SQL, so only two rows per method come back.
  const [ranked, counts] = await Promise.all([
    db.all<{ method: string; rn: number; n: number; time_taken: number }>(sql`
      SELECT method, time_taken, rn, n FROM (
        SELECT method, time_taken,
          row_number() OVER (PARTITION BY method ORDER BY time_taken) AS rn,
          count(*) OVER (PARTITION BY method) AS n
        FROM tasks
        WHERE name >= ${floor} AND status = 'Finished' AND ended_at >= ${since} AND time_taken IS NOT NULL)
      WHERE rn = max(1, (n * 50 + 99) / 100) OR rn = max(1, (n * 95 + 99) / 100)`),
    db.all<{ method: string; finished: number; failed: number }>(sql`
      SELECT method, sum(status = 'Finished') AS finished, sum(status = 'Failed' AND wake_at IS NULL) AS failed
      FROM tasks
      WHERE name >= ${floor} AND ended_at >= ${since} AND status IN ('Finished', 'Failed')
      GROUP BY method`),
  ]);
  const out = new Map<string, MethodDurations>();
  for (const c of counts)
    out.set(c.method, { method: c.method, finished: c.finished, failed: c.failed, p50_s: null, p95_s: null });
  for (const r of ranked) {
    const m = out.get(r.method);
    if (!m) continue;
    if (r.rn === Math.max(1, Math.ceil((r.n * 50) / 100))) m.p50_s = r.time_taken;
    if (r.rn === Math.max(1, Math.ceil((r.n * 95) / 100))) m.p95_s = r.time_taken;
  }
  return [...out.values()].sort((a, b) => a.method.localeCompare(b.method));
}

/** Tasks that ended per hour over [since, now): finished, finally failed and canceled; empty hours included. */
export async function hourlySeries(db: Db, since: number, now: number): Promise<HourBucket[]> {
  const start = Math.floor(since / HOUR_MS) * HOUR_MS;
  const rows = await db.all<{ bucket: number; finished: number; failed: number; canceled: number }>(sql`
    SELECT ended_at / 3600000 AS bucket, -- a literal: a bound JS number would arrive as REAL
      sum(status = 'Finished') AS finished,
      sum(status = 'Failed' AND wake_at IS NULL) AS failed,
      sum(status = 'Canceled') AS canceled
    FROM tasks
    WHERE name >= ${idFloor(start - CREATED_SLACK_MS)} AND ended_at >= ${start}
      AND status IN ('Finished', 'Failed', 'Canceled')
    GROUP BY bucket`);
  const byBucket = new Map(rows.map((r) => [Number(r.bucket), r]));
  const out: HourBucket[] = [];
  for (let hour = start; hour <= now; hour += HOUR_MS) {
    const r = byBucket.get(hour / HOUR_MS);
    out.push({ hour, finished: r?.finished ?? 0, failed: r?.failed ?? 0, canceled: r?.canceled ?? 0 });
  }
  return out;
}
