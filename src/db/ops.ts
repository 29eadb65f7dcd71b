// Queries behind the ops summary: per-method queue depths and recent failures, each on a partial index.
import { sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import type { Db } from "./client";

const where = {
  dispatchable: sql.raw(taskWhere.dispatchable()),
  timer: sql.raw(taskWhere.timer()),
  paused: sql.raw(taskWhere.paused()),
  inFlight: sql.raw(taskWhere.inFlight()),
  failed: sql.raw(taskWhere.failed()),
};

export interface MethodSummary {
  method: string;
  pending: number;
  delayed: number;
  paused: number;
  queued: number;
  started: number;
  failed_last_hour: number;
  oldest_pending_at: number | null;
}

/** Per-method counts of live tasks and of failures since `since`. */
export async function methodSummaries(db: Db, since: number): Promise<MethodSummary[]> {
  // Promise.all, not db.batch: drizzle's D1 batch cannot bind parameters of raw `db.all` queries.
  const [pending, waiting, inFlight, failed] = await Promise.all([
    db.all<{ method: string; n: number; oldest: number }>(
      sql`SELECT method, count(*) AS n, min(created_at) AS oldest FROM tasks INDEXED BY tasks_dispatch WHERE ${where.dispatchable} GROUP BY method`,
    ),
    db.all<{ method: string; delayed: number; paused: number }>(
      sql`SELECT method, count(*) AS delayed, 0 AS paused FROM tasks INDEXED BY tasks_wake WHERE ${where.timer} AND status = 'Pending' GROUP BY method
          UNION ALL
          SELECT method, 0, count(*) FROM tasks INDEXED BY tasks_paused WHERE ${where.paused} GROUP BY method`,
    ),
    db.all<{ method: string; queued: number; started: number }>(
      sql`SELECT method, sum(status = 'Queued') AS queued, sum(status = 'Started') AS started FROM tasks INDEXED BY tasks_in_flight WHERE ${where.inFlight} GROUP BY method`,
    ),
    db.all<{ method: string; n: number }>(
      sql`SELECT method, count(*) AS n FROM tasks INDEXED BY tasks_failed WHERE ${where.failed} AND ended_at >= ${since} GROUP BY method`,
    ),
  ]);
  const byMethod = new Map<string, MethodSummary>();
  const get = (method: string) => {
    let s = byMethod.get(method);
    if (!s) {
      s = {
        method,
        pending: 0,
        delayed: 0,
        paused: 0,
        queued: 0,
        started: 0,
        failed_last_hour: 0,
        oldest_pending_at: null,
      };
      byMethod.set(method, s);
    }
    return s;
  };
  for (const r of pending) Object.assign(get(r.method), { pending: r.n, oldest_pending_at: r.oldest });
  for (const r of waiting) {
    const s = get(r.method);
    s.delayed += r.delayed;
    s.paused += r.paused;
  }
  for (const r of inFlight) Object.assign(get(r.method), { queued: r.queued, started: r.started });
  for (const r of failed) get(r.method).failed_last_hour = r.n;
  return [...byMethod.values()].sort((a, b) => a.method.localeCompare(b.method));
}
