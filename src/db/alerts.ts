// Alert rules, channels and incidents in D1: reads and writes, and the two compare-and-sets that
// make one notice per incident — an incident opens only where none of its rule and subject fires
// (the partial unique index), and resolves only from firing.
import { and, or, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { inJson } from "./in-json";
import {
  alertChannels,
  alertIncidents,
  alertRules,
  type AlertChannelRow,
  type AlertIncidentRow,
  type AlertRuleRow,
} from "./schema";

export function listRules(db: Db): Promise<AlertRuleRow[]> {
  return db.select().from(alertRules).orderBy(alertRules.id);
}

export async function getRule(db: Db, id: string): Promise<AlertRuleRow | null> {
  const [row] = await db.select().from(alertRules).where(eq(alertRules.id, id));
  return row ?? null;
}

export async function insertRule(db: Db, row: AlertRuleRow): Promise<void> {
  await db.insert(alertRules).values(row);
}

export async function updateRule(db: Db, id: string, changes: Partial<AlertRuleRow>): Promise<AlertRuleRow | null> {
  const [row] = await db.update(alertRules).set(changes).where(eq(alertRules.id, id)).returning();
  return row ?? null;
}

/** Deletes a rule and its incidents. */
export async function deleteRule(db: Db, id: string): Promise<void> {
  await db.batch([
    db.delete(alertIncidents).where(eq(alertIncidents.ruleId, id)),
    db.delete(alertRules).where(eq(alertRules.id, id)),
  ]);
}

export function listChannels(db: Db): Promise<AlertChannelRow[]> {
  return db.select().from(alertChannels).orderBy(alertChannels.id);
}

export async function getChannel(db: Db, id: string): Promise<AlertChannelRow | null> {
  const [row] = await db.select().from(alertChannels).where(eq(alertChannels.id, id));
  return row ?? null;
}

/** The channels among `ids` that exist. */
export function channelsIn(db: Db, ids: readonly string[]): Promise<AlertChannelRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.select().from(alertChannels).where(inJson(alertChannels.id, ids));
}

export async function insertChannel(db: Db, row: AlertChannelRow): Promise<void> {
  await db.insert(alertChannels).values(row);
}

export async function updateChannel(
  db: Db,
  id: string,
  changes: Partial<AlertChannelRow>,
): Promise<AlertChannelRow | null> {
  const [row] = await db.update(alertChannels).set(changes).where(eq(alertChannels.id, id)).returning();
  return row ?? null;
}

export async function deleteChannel(db: Db, id: string): Promise<void> {
  await db.delete(alertChannels).where(eq(alertChannels.id, id));
}

/** Rules that name `channelId` among their channels. */
export function rulesUsingChannel(db: Db, channelId: string): Promise<Pick<AlertRuleRow, "id" | "name">[]> {
  return db
    .select({ id: alertRules.id, name: alertRules.name })
    .from(alertRules)
    .where(sql`EXISTS (SELECT 1 FROM json_each(${alertRules.channels}) WHERE value = ${channelId})`);
}

/** Every firing incident. */
export function firingIncidents(db: Db): Promise<AlertIncidentRow[]> {
  return db.select().from(alertIncidents).where(eq(alertIncidents.state, "firing"));
}

/**
 * Opens an incident unless one of its rule and subject already fires (then nothing changes and
 * null comes back): the caller that gets the row is the one that sends the firing notice.
 */
export async function openIncident(db: Db, row: AlertIncidentRow): Promise<AlertIncidentRow | null> {
  const [opened] = await db.insert(alertIncidents).values(row).onConflictDoNothing().returning();
  return opened ?? null;
}

/** Resolves a firing incident; null when it was not firing any more (someone else resolved it). */
export async function resolveIncident(db: Db, id: string, now: number): Promise<AlertIncidentRow | null> {
  const [row] = await db
    .update(alertIncidents)
    .set({ state: "resolved", resolvedAt: now })
    .where(and(eq(alertIncidents.id, id), eq(alertIncidents.state, "firing")))
    .returning();
  return row ?? null;
}

/** Resolves, without notices, the firing incidents of rules that no longer run (disabled). */
export async function closeIncidentsOf(db: Db, ruleIds: readonly string[], now: number): Promise<void> {
  if (ruleIds.length === 0) return;
  await db
    .update(alertIncidents)
    .set({ state: "resolved", resolvedAt: now })
    .where(and(inArray(alertIncidents.ruleId, [...ruleIds]), eq(alertIncidents.state, "firing")));
}

/** Incidents newest first, optionally of one rule or in one state, before a detection time. */
export function listIncidents(
  db: Db,
  filter: { ruleId: string | null; state: "firing" | "resolved" | null },
  limit: number,
  before: { at: number; id: string } | null,
): Promise<AlertIncidentRow[]> {
  const conditions = [];
  if (filter.ruleId !== null) conditions.push(eq(alertIncidents.ruleId, filter.ruleId));
  if (filter.state !== null) conditions.push(eq(alertIncidents.state, filter.state));
  if (before !== null) {
    const older = or(
      lt(alertIncidents.detectedAt, before.at),
      and(eq(alertIncidents.detectedAt, before.at), lt(alertIncidents.id, before.id)),
    );
    if (older) conditions.push(older);
  }
  return db
    .select()
    .from(alertIncidents)
    .where(conditions.length === 0 ? undefined : and(...conditions))
    .orderBy(desc(alertIncidents.detectedAt), desc(alertIncidents.id))
    .limit(limit);
}

/** Deletes resolved incidents resolved before `before`, at most `limit`. */
export async function purgeIncidents(db: Db, before: number, limit = 5_000): Promise<number> {
  const rows = await db
    .delete(alertIncidents)
    .where(
      sql`${alertIncidents.id} IN (SELECT id FROM alert_incidents WHERE state = 'resolved' AND resolved_at < ${before} LIMIT ${limit})`,
    )
    .returning({ id: alertIncidents.id });
  return rows.length;
}
