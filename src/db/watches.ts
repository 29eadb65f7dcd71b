// Watches: which scopes have live subscribers. Every task transition reads them in its RETURNING
// (see transitions/columns.ts), so an event is published exactly when someone watches.
import { eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import { realtimeWatches } from "./schema";

/** How long a watch lasts without being refreshed by its hub. */
export const WATCH_TTL_MS = 10 * 60 * 1000;

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
