// Storage of per-item failures of chunked bulk tasks (see methods/items.ts).
import { and, eq, inArray, isNull } from "drizzle-orm";
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

/** Failed items of a batch not yet requeued, grouped by method, with one task's shared arguments. */
export async function pendingItemFailures(
  db: Db,
  batchId: string,
): Promise<Map<string, { ids: string[]; arguments: string }>> {
  const rows = await db
    .select({ itemId: itemFailures.itemId, method: tasks.method, arguments: tasks.arguments })
    .from(itemFailures)
    .innerJoin(tasks, eq(tasks.name, itemFailures.taskName))
    .where(and(eq(itemFailures.batchId, batchId), isNull(itemFailures.requeuedIn)))
    .orderBy(tasks.batchOrder, itemFailures.itemId);
  const byMethod = new Map<string, { ids: string[]; arguments: string }>();
  for (const row of rows) {
    const group = byMethod.get(row.method) ?? { ids: [], arguments: row.arguments };
    group.ids.push(row.itemId);
    byMethod.set(row.method, group);
  }
  return byMethod;
}

/** Marks a batch's not-yet-requeued failed items of `method` as requeued into `newBatchId`. */
export async function markRequeued(db: Db, batchId: string, method: string, newBatchId: string): Promise<void> {
  await db
    .update(itemFailures)
    .set({ requeuedIn: newBatchId })
    .where(
      and(
        eq(itemFailures.batchId, batchId),
        isNull(itemFailures.requeuedIn),
        inArray(
          itemFailures.taskName,
          db
            .select({ name: tasks.name })
            .from(tasks)
            .where(and(eq(tasks.batchId, batchId), eq(tasks.method, method))),
        ),
      ),
    );
}
