// Batches: pages of them for the list endpoint (newest first), and joining one (or creating it).
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { FailurePolicy } from "../shared/states";
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

/**
 * Creates the batch (owned by `owner`) or joins it; a given policy replaces its own. Null when the
 * batch belongs to another user (nothing changes). `orderKey` is the batch's place in creation
 * order if this call creates it (its first task's name). Its total and methods grow only when
 * tasks are committed into it (tasks/commit.ts).
 */
export async function joinBatch(
  db: Db,
  join: { batchId: string; owner: string; orderKey: string; now: number; policy?: FailurePolicy },
): Promise<{ orderKey: string; failurePolicy: FailurePolicy } | null> {
  const [row] = await db.all<{ order_key: string; failure_policy: FailurePolicy }>(sql`
    INSERT INTO batches (batch_id, owner, total, failure_policy, created_at, order_key)
    VALUES (${join.batchId}, ${join.owner}, 0, coalesce(${join.policy ?? null}, 'continue'), ${join.now}, ${join.orderKey})
    ON CONFLICT (batch_id) DO UPDATE SET
      failure_policy = coalesce(${join.policy ?? null}, batches.failure_policy)
    WHERE batches.owner = excluded.owner
    RETURNING order_key, failure_policy`);
  return row ? { orderKey: row.order_key, failurePolicy: row.failure_policy } : null;
}
