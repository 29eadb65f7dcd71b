// Batch reads: pages of batches for the list endpoint, newest first.
import { and, desc, eq, lt, or } from "drizzle-orm";
import type { Db } from "./client";
import { batches, type BatchRow } from "./schema";

/** A position in the list: the last row of the previous page. */
export interface BatchCursor {
  createdAt: number;
  batchId: string;
}

/** A page of batches (an owner's, or all), newest first, keyset-paged on (created_at, batch_id). */
export async function listBatches(
  db: Db,
  owner: string | undefined,
  limit: number,
  after: BatchCursor | undefined,
): Promise<{ rows: BatchRow[]; next: BatchCursor | null }> {
  const rows = await db
    .select()
    .from(batches)
    .where(
      and(
        owner === undefined ? undefined : eq(batches.owner, owner),
        after === undefined
          ? undefined
          : or(
              lt(batches.createdAt, after.createdAt),
              and(eq(batches.createdAt, after.createdAt), lt(batches.batchId, after.batchId)),
            ),
      ),
    )
    .orderBy(desc(batches.createdAt), desc(batches.batchId))
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return { rows: page, next: more && last ? { createdAt: last.createdAt, batchId: last.batchId } : null };
}
