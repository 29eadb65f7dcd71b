// Retention: deletes ended task logs older than N days, in chunks (live tasks are never touched),
// and what only described them: recorded item failures and emptied batches.
import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { idFloor } from "../shared/ids";
import { taskWhere } from "../shared/states";

const CHUNK = 500;
const MAX_CHUNKS_PER_RUN = 20;
const ended = sql.raw(taskWhere.ended());

/**
 * Deletes up to 10,000 ended tasks (Finished, Canceled, or Failed with no retry scheduled) that
 * were created and ended before the cutoff. Returns how many rows were deleted.
 */
export async function purgeEndedTasks(db: Db, now: number, retentionDays: number): Promise<number> {
  const cutoff = now - retentionDays * 86_400_000;
  // Names are time-sortable, so "created before the cutoff" is a primary-key range scan.
  const below = idFloor(cutoff);
  let deleted = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const result = await db.run(sql`
      DELETE FROM tasks WHERE name IN (
        SELECT name FROM tasks WHERE name < ${below} AND ended_at < ${cutoff} AND ${ended} LIMIT ${CHUNK})`);
    const changes = result.meta.changes;
    deleted += changes;
    if (changes < CHUNK) break;
  }
  await db.run(sql`DELETE FROM item_failures WHERE created_at < ${cutoff}`);
  // A bulk commit is only asked for while its held tasks wait (a minute); an hour is plenty.
  await db.run(sql`DELETE FROM bulk_commits WHERE created_at < ${now - 3_600_000}`);
  await db.run(sql`
    DELETE FROM batches WHERE batch_id IN (
      SELECT batch_id FROM batches
      WHERE created_at < ${cutoff}
        AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.batch_id = batches.batch_id)
      LIMIT ${CHUNK})`);
  return deleted;
}
