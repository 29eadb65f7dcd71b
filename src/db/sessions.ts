// Storage of console sessions ended before their expiry (logout): one row per ended session,
// deleted once the session would have expired anyway.
import { eq, lt } from "drizzle-orm";
import type { Db } from "./client";
import { endedSessions } from "./schema";

/** Whether the session with `nonce` was ended (logged out). */
export async function isSessionEnded(db: Db, nonce: string): Promise<boolean> {
  const [row] = await db
    .select({ nonce: endedSessions.nonce })
    .from(endedSessions)
    .where(eq(endedSessions.nonce, nonce));
  return row !== undefined;
}

/** Records the session as ended, and forgets sessions that have expired by `now` (one transaction). */
export async function endSession(db: Db, nonce: string, expiresAt: number, now: number): Promise<void> {
  await db.batch([
    db.insert(endedSessions).values({ nonce, expiresAt }).onConflictDoNothing(),
    db.delete(endedSessions).where(lt(endedSessions.expiresAt, now)),
  ]);
}
