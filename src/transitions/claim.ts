// The consumer's claim: Queued → Started for exactly the attempt a delivered message is for.
import { and, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { inJson } from "../db/in-json";
import { tasks } from "../db/schema";
import { nextSeq, rowWithWatch, type WatchedTask } from "./columns";

/** One delivered message: which task attempt it is for, and its queue message id. */
export interface Delivery {
  name: string;
  attempt: number;
  id: string;
}

/**
 * Queued → Started, for every delivered message whose task is Queued in exactly that attempt — a
 * whole batch in one statement. A duplicate, stale or late message matches nothing. Each claimed
 * row's job_id is the id of the (first) message that claimed it, so of two copies of one message
 * in a batch only one runs. The lease becomes timeout + grace: past it the worker is presumed lost.
 */
export async function claimTasks(
  db: Db,
  deliveries: readonly Delivery[],
  now: number,
  leaseGraceMs: number,
): Promise<WatchedTask[]> {
  if (deliveries.length === 0) return [];
  const json = JSON.stringify(deliveries);
  const matching = sql`FROM json_each(${json}) AS d WHERE d.value ->> 'name' = ${tasks.name} AND d.value ->> 'attempt' = ${tasks.attempt}`;
  const [claimed] = await db.batch([
    db
      .update(tasks)
      .set({
        status: "Started",
        seq: nextSeq,
        startedAt: now,
        jobId: sql`(SELECT d.value ->> 'id' ${matching} LIMIT 1)`,
        leaseUntil: sql`${now} + ${tasks.timeout} * 1000 + ${leaseGraceMs}`,
        progress: null,
        debugLog: null,
      })
      .where(
        and(
          sql`${tasks.status} = 'Queued'`,
          sql`EXISTS (SELECT 1 ${matching})`,
          inJson(
            tasks.name,
            deliveries.map((d) => d.name),
          ),
        ),
      )
      .returning(rowWithWatch),
  ]);
  return claimed;
}
