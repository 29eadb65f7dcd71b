// Retention: deletes finished task logs older than N days, in chunks. Live tasks are never touched.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { idFloor } from "../lib/ids";

const CHUNK = 500;
const MAX_CHUNKS_PER_RUN = 20;

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
        SELECT name FROM tasks
        WHERE name < ${below} AND ended_at < ${cutoff}
          AND (status IN ('Finished', 'Canceled') OR (status = 'Failed' AND wake_at IS NULL))
        LIMIT ${CHUNK})`);
    const changes = result.meta.changes;
    deleted += changes;
    if (changes < CHUNK) break;
  }
  // What only described purged tasks: recorded item failures past retention, and batches created
  // before the cutoff that no longer have any task.
  await db.run(sql`DELETE FROM item_failures WHERE created_at < ${cutoff}`);
  await db.run(sql`
    DELETE FROM batches WHERE batch_id IN (
      SELECT batch_id FROM batches
      WHERE created_at < ${cutoff}
        AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.batch_id = batches.batch_id)
      LIMIT ${CHUNK})`);
  return deleted;
}
