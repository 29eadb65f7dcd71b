// Watches: which scopes have live subscribers. Task transitions read them atomically (see watchUntil).
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { realtimeWatches, tasks } from "../db/schema";

/** How long a watch lasts without being refreshed by its hub. */
export const WATCH_TTL_MS = 10 * 60 * 1000;

/**
 * The latest expiry of any watch covering the task row being written — its own scope, its batch's
 * or its owner's. Used inside RETURNING, so the answer belongs to the same transaction as the
 * transition: a subscriber registered before the write always gets the event.
 */
export const watchUntil = sql<
  number | null
>`(SELECT max(${realtimeWatches.until}) FROM ${realtimeWatches} WHERE ${realtimeWatches.scope} IN ('task:' || ${tasks.name}, 'batch:' || ${tasks.batchId}, 'owner:' || ${tasks.owner}))`;

/** Registers (or extends) a watch on a scope. */
export async function registerWatch(db: Db, scope: string, until: number): Promise<void> {
  await db
    .insert(realtimeWatches)
    .values({ scope, until })
    .onConflictDoUpdate({
      target: realtimeWatches.scope,
      set: { until: sql`max(${realtimeWatches.until}, excluded.until)` },
    });
}

/** Removes a watch once its last subscriber is gone. */
export async function dropWatch(db: Db, scope: string): Promise<void> {
  await db.delete(realtimeWatches).where(eq(realtimeWatches.scope, scope));
}
