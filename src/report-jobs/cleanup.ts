// Cron clean-up of prepared reports: deletes expired results from R2 and their job rows, in chunks.
// A job whose task is still live is kept whatever its expiry (it may still be writing) — asked of
// the task's object when the log has not seen it end.
import { and, eq, inArray, lte } from "drizzle-orm";
import { getDb } from "../db/client";
import { reportJobs, tasks } from "../db/schema";
import { readTasks } from "../live/read";
import { isEnded } from "../shared/states";

// D1 allows 100 bound parameters per statement (the delete binds the ids and the cutoff).
const CHUNK = 90;
const MAX_CHUNKS_PER_RUN = 20;

/** Deletes up to 1,800 expired jobs per run: their R2 results, then their rows. Returns how many. */
export async function purgeExpiredReports(env: Env, now: number): Promise<number> {
  const db = getDb(env);
  let deleted = 0;
  const kept = new Set<string>();
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const candidates = await db
      .select({ jobId: reportJobs.jobId, r2Key: reportJobs.r2Key, status: tasks.status, wakeAt: tasks.wakeAt })
      .from(reportJobs)
      .leftJoin(tasks, eq(tasks.name, reportJobs.jobId))
      .where(lte(reportJobs.expiresAt, now))
      .limit(CHUNK + kept.size);
    const fresh = candidates.filter((c) => !kept.has(c.jobId));
    if (fresh.length === 0) break;
    // Not ended in the log: its object says whether it still runs.
    const unsure = fresh.filter((c) => c.status === null || !isEnded({ status: c.status, wakeAt: c.wakeAt }));
    const live = new Set(
      (
        await readTasks(
          env,
          unsure.map((c) => c.jobId),
        )
      )
        .filter((t) => !isEnded(t))
        .map((t) => t.name),
    );
    for (const name of live) kept.add(name);
    const expired = fresh.filter((c) => !live.has(c.jobId));
    if (expired.length > 0) {
      // The result goes first: a row without its object is harmless, an object without its row is litter.
      const keys = expired.map((e) => e.r2Key).filter((k): k is string => k !== null);
      if (keys.length > 0) await env.RESULTS.delete(keys);
      await db.delete(reportJobs).where(
        and(
          inArray(
            reportJobs.jobId,
            expired.map((e) => e.jobId),
          ),
          lte(reportJobs.expiresAt, now),
        ),
      );
      deleted += expired.length;
    }
    if (fresh.length < CHUNK) break;
  }
  return deleted;
}
