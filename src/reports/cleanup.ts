// Cron clean-up of prepared reports: deletes expired results from R2 and their job rows, in chunks.
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { taskWhere } from "../shared/states";
import { getDb } from "../db/client";
import { reportJobs, tasks } from "../db/schema";

// D1 allows 100 bound parameters per statement (the delete binds the ids and the cutoff).
const CHUNK = 90;
const MAX_CHUNKS_PER_RUN = 20;

/**
 * Deletes up to 1,800 expired jobs per run: their R2 results, then their rows. A job whose task is
 * still live is kept whatever its expiry (it may still be writing). Returns how many were deleted.
 */
export async function purgeExpiredReports(env: Env, now: number): Promise<number> {
  const db = getDb(env);
  // A job whose task is gone (retention) or ended.
  const ended = or(isNull(tasks.name), sql.raw(taskWhere.ended((c) => `tasks.${c}`)));
  let deleted = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const expired = await db
      .select({ jobId: reportJobs.jobId, r2Key: reportJobs.r2Key })
      .from(reportJobs)
      .leftJoin(tasks, eq(tasks.name, reportJobs.jobId))
      .where(and(lte(reportJobs.expiresAt, now), ended))
      .limit(CHUNK);
    if (expired.length === 0) break;
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
    if (expired.length < CHUNK) break;
  }
  return deleted;
}
