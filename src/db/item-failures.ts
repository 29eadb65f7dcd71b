// Storage of per-item failures of chunked bulk tasks (see methods/items.ts).
import { and, count, eq, isNull } from "drizzle-orm";
import type { Json } from "../shared/json";
import type { Db } from "./client";
import { itemFailures, tasks } from "./schema";

/** Replaces the failures recorded for a task with those of its latest attempt (one transaction). */
export async function replaceItemFailures(
  db: Db,
  taskName: string,
  batchId: string | null,
  failures: readonly { id: string; error: string }[],
  now: number,
): Promise<void> {
  const d1 = db.$client;
  const statements = [d1.prepare("DELETE FROM item_failures WHERE task_name = ?1").bind(taskName)];
  if (failures.length > 0) {
    statements.push(
      d1
        .prepare(
          `INSERT INTO item_failures (task_name, item_id, batch_id, error, created_at)
           SELECT ?1, value ->> 'id', ?2, value ->> 'error', ?3 FROM json_each(?4)`,
        )
        .bind(taskName, batchId, now, JSON.stringify(failures)),
    );
  }
  await d1.batch(statements);
}

/** One method's failed items of a batch that were not requeued yet. */
export interface FailedItems {
  method: string;
  /** The item ids, in batch order. */
  ids: string[];
  /** Which task recorded each (the primary key of item_failures). */
  keys: { task: string; item: string }[];
  /** The arguments of one of the failed tasks (shared by every chunk of a chunked bulk call). */
  arguments: Json<Record<string, unknown>>;
}

/** Failed items of a batch not yet requeued, grouped by method. */
export async function pendingItemFailures(db: Db, batchId: string): Promise<FailedItems[]> {
  const rows = await db
    .select({
      taskName: itemFailures.taskName,
      itemId: itemFailures.itemId,
      method: tasks.method,
      arguments: tasks.arguments,
    })
    .from(itemFailures)
    .innerJoin(tasks, eq(tasks.name, itemFailures.taskName))
    .where(and(eq(itemFailures.batchId, batchId), isNull(itemFailures.requeuedIn)))
    .orderBy(tasks.batchOrder, itemFailures.itemId);
  const byMethod = new Map<string, FailedItems>();
  for (const row of rows) {
    const group = byMethod.get(row.method) ?? { method: row.method, ids: [], keys: [], arguments: row.arguments };
    group.ids.push(row.itemId);
    group.keys.push({ task: row.taskName, item: row.itemId });
    byMethod.set(row.method, group);
  }
  return [...byMethod.values()];
}

/**
 * The statement that marks these failed items as requeued into `newBatchId` — only those still
 * unmarked — and the condition (SQL text with its parameters, numbered from ?2) under which the
 * new tasks may be inserted in the same transaction: that every item was marked by this call. A
 * racing second requeue marks fewer, so it inserts nothing: no item is ever requeued twice.
 */
export function markRequeued(db: Db, keys: FailedItems["keys"], newBatchId: string) {
  const mark = db.$client
    .prepare(
      `UPDATE item_failures SET requeued_in = ?1
       WHERE requeued_in IS NULL AND EXISTS (
         SELECT 1 FROM json_each(?2) AS k
         WHERE k.value ->> 'task' = item_failures.task_name AND k.value ->> 'item' = item_failures.item_id)`,
    )
    .bind(newBatchId, JSON.stringify(keys));
  const guard = {
    sql: "(SELECT count(*) FROM item_failures WHERE requeued_in = ?2) = ?3",
    params: [newBatchId, keys.length],
  };
  return { mark, guard };
}

/** How many failed items of a batch wait to be requeued (what "requeue failed items" would send). */
export async function countPendingItemFailures(db: Db, batchId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(itemFailures)
    .where(and(eq(itemFailures.batchId, batchId), isNull(itemFailures.requeuedIn)));
  return row?.n ?? 0;
}
