// Storage of remote targets: reads, the upsert of a definition, deletion, and the health marks a
// call or a connectivity test leaves (auth failed, last error, last success).
import { and, asc, eq, inArray, isNull, lt, or } from "drizzle-orm";
import type { Db } from "./client";
import { remoteTargets, type NewRemoteTargetRow, type RemoteTargetRow } from "./schema";

/** The target, or null. */
export async function getTarget(db: Db, name: string): Promise<RemoteTargetRow | null> {
  const [row] = await db.select().from(remoteTargets).where(eq(remoteTargets.name, name));
  return row ?? null;
}

/** The named targets (those that exist). */
export async function getTargets(db: Db, names: readonly string[]): Promise<RemoteTargetRow[]> {
  if (names.length === 0) return [];
  return db
    .select()
    .from(remoteTargets)
    .where(inArray(remoteTargets.name, [...names]));
}

/** Every target, by name. */
export function listTargets(db: Db): Promise<RemoteTargetRow[]> {
  return db.select().from(remoteTargets).orderBy(asc(remoteTargets.name));
}

/** Inserts a new target; null when the name is taken. */
export async function insertTarget(db: Db, row: NewRemoteTargetRow): Promise<RemoteTargetRow | null> {
  const [saved] = await db.insert(remoteTargets).values(row).onConflictDoNothing().returning();
  return saved ?? null;
}

/** Replaces a target's definition; null when it does not exist. */
export async function updateTarget(
  db: Db,
  name: string,
  changes: Partial<NewRemoteTargetRow>,
): Promise<RemoteTargetRow | null> {
  const [saved] = await db.update(remoteTargets).set(changes).where(eq(remoteTargets.name, name)).returning();
  return saved ?? null;
}

/** Deletes a target; false when there was none. */
export async function deleteTarget(db: Db, name: string): Promise<boolean> {
  const rows = await db
    .delete(remoteTargets)
    .where(eq(remoteTargets.name, name))
    .returning({ name: remoteTargets.name });
  return rows.length > 0;
}

/** How stale last_ok_at may get: a healthy target is written at most once a minute, not per call. */
const OK_REFRESH_MS = 60_000;

/**
 * Records how a call or test went: a failure keeps its text (and the auth flag on 401/403); a
 * success clears the flag and moves last_ok_at — written only when that changes something or
 * last_ok_at is a minute old, so a busy healthy target costs no write per call.
 */
export async function markTarget(
  db: Db,
  name: string,
  outcome: { ok: true } | { ok: false; error: string; authFailed: boolean },
  now: number,
): Promise<void> {
  if (outcome.ok) {
    await db
      .update(remoteTargets)
      .set({ lastOkAt: now, authFailed: false })
      .where(
        and(
          eq(remoteTargets.name, name),
          or(
            eq(remoteTargets.authFailed, true),
            isNull(remoteTargets.lastOkAt),
            lt(remoteTargets.lastOkAt, now - OK_REFRESH_MS),
            lt(remoteTargets.lastOkAt, remoteTargets.lastErrorAt),
          ),
        ),
      );
    return;
  }
  await db
    .update(remoteTargets)
    .set({ lastError: outcome.error, lastErrorAt: now, ...(outcome.authFailed ? { authFailed: true } : {}) })
    .where(eq(remoteTargets.name, name));
}

/**
 * Replaces the sealed signing secrets if nobody else did since `expectedSetAt` was read (two
 * rotations at once must not lose one); false when another write came first.
 */
export async function replaceSigning(
  db: Db,
  name: string,
  expectedSetAt: number,
  sealed: string,
  now: number,
): Promise<boolean> {
  const rows = await db
    .update(remoteTargets)
    .set({ signingSecrets: sealed, signingSecretSetAt: now, updatedAt: now })
    .where(and(eq(remoteTargets.name, name), eq(remoteTargets.signingSecretSetAt, expectedSetAt)))
    .returning({ name: remoteTargets.name });
  return rows.length > 0;
}

/** Targets whose last call or test was refused for our credentials. */
export function authFailedTargets(db: Db): Promise<Pick<RemoteTargetRow, "name" | "lastError" | "lastErrorAt">[]> {
  return db
    .select({ name: remoteTargets.name, lastError: remoteTargets.lastError, lastErrorAt: remoteTargets.lastErrorAt })
    .from(remoteTargets)
    .where(eq(remoteTargets.authFailed, true))
    .orderBy(asc(remoteTargets.name));
}
