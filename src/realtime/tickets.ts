// WebSocket tickets: issued to an authenticated caller, valid once for 60 s, stored hashed.
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { User } from "../shared/user";
import { toJson } from "../shared/json";
import { generateKeyPair, hashSecret, parseRoles } from "../auth/keys";
import type { Db } from "../db/client";
import { realtimeTickets } from "../db/schema";

export const TICKET_TTL_MS = 60_000;

/**
 * Issues a ticket for `user`, or returns null when the user's API key already holds `max`
 * unredeemed, unexpired tickets — checked inside the INSERT, so concurrent requests cannot
 * overshoot the bound.
 */
export async function issueTicket(
  db: Db,
  user: User,
  now: number,
  max: number,
): Promise<{ ticket: string; expiresAt: number } | null> {
  const ticket = generateKeyPair().secret;
  const expiresAt = now + TICKET_TTL_MS;
  const result = await db.run(sql`
    INSERT INTO ${realtimeTickets} (ticket_hash, user, roles, expires_at, api_key)
    SELECT ${await hashSecret(ticket)}, ${user.name}, ${toJson(user.roles)}, ${expiresAt}, ${user.key}
    WHERE (SELECT count(*) FROM ${realtimeTickets} WHERE api_key = ${user.key} AND expires_at > ${now}) < ${max}`);
  return result.meta.changes === 1 ? { ticket, expiresAt } : null;
}

/** Consumes a ticket (single use): the user it was issued to, or null if unknown or expired. */
export async function redeemTicket(db: Db, ticket: string, now: number): Promise<User | null> {
  const [row] = await db
    .delete(realtimeTickets)
    .where(and(eq(realtimeTickets.ticketHash, await hashSecret(ticket)), gt(realtimeTickets.expiresAt, now)))
    .returning();
  return row ? { name: row.user, roles: parseRoles(row.roles), key: "ticket" } : null;
}

/** Deletes expired tickets (cron). */
export async function purgeTickets(db: Db, now: number): Promise<void> {
  await db.delete(realtimeTickets).where(lt(realtimeTickets.expiresAt, now));
}
