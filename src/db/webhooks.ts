// Completion webhook subscriptions and the delivery log (the outbox every notice and event goes
// through): reads, writes and the claim that makes one sender own a delivery attempt at a time.
import { and, or, count, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { inJson } from "./in-json";
import {
  webhookDeliveries,
  webhookSubscriptions,
  type WebhookDeliveryRow,
  type WebhookSubscriptionRow,
} from "./schema";

/** Every enabled subscription (what the completion hook caches). */
export function enabledSubscriptions(db: Db): Promise<WebhookSubscriptionRow[]> {
  return db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.enabled, true));
}

/** One subscription, or null. */
export async function getSubscription(db: Db, id: string): Promise<WebhookSubscriptionRow | null> {
  const [row] = await db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
  return row ?? null;
}

/** Subscriptions of `owner` (null: everyone's), oldest first. */
export function listSubscriptions(db: Db, owner: string | null): Promise<WebhookSubscriptionRow[]> {
  const q = db.select().from(webhookSubscriptions);
  return (owner === null ? q : q.where(eq(webhookSubscriptions.owner, owner))).orderBy(webhookSubscriptions.id);
}

export async function insertSubscription(db: Db, row: WebhookSubscriptionRow): Promise<void> {
  await db.insert(webhookSubscriptions).values(row);
}

/** Applies `changes`; returns the new row, or null when it is gone. */
export async function updateSubscription(
  db: Db,
  id: string,
  changes: Partial<WebhookSubscriptionRow>,
): Promise<WebhookSubscriptionRow | null> {
  const [row] = await db.update(webhookSubscriptions).set(changes).where(eq(webhookSubscriptions.id, id)).returning();
  return row ?? null;
}

export async function deleteSubscription(db: Db, id: string): Promise<void> {
  await db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
}

/** A delivery row to insert (id = the webhook-id receivers deduplicate on). */
export type NewDelivery = Pick<
  WebhookDeliveryRow,
  "id" | "source" | "targetId" | "owner" | "eventType" | "incidentId" | "payload"
>;

const INSERT_DELIVERIES = `INSERT INTO webhook_deliveries
  (id, source, target_id, owner, event_type, incident_id, payload, status, attempts, next_attempt_at, created_at)
  SELECT j ->> 'id', j ->> 'source', j ->> 'targetId', j ->> 'owner', j ->> 'eventType', j ->> 'incidentId',
    j ->> 'payload', 'pending', 0, ?2, ?2
  FROM (SELECT value AS j FROM json_each(?1))
  WHERE true ON CONFLICT (id) DO NOTHING`;

/**
 * One statement that inserts `rows` as pending deliveries, due at `now`. An id already present is
 * left as it is, so a group written twice (or an event seen twice) makes one delivery.
 */
export function insertDeliveriesStatement(db: Db, rows: readonly NewDelivery[], now: number): D1PreparedStatement {
  return db.$client.prepare(INSERT_DELIVERIES).bind(JSON.stringify(rows), now);
}

/**
 * One statement that inserts a `batch.done` delivery for each candidate whose batch has ended
 * (finished + failed + canceled = total, as the log's triggers count it at this point of the
 * transaction). `payload` is completed in SQL with the batch's counters.
 */
export function insertBatchDoneStatement(
  db: Db,
  candidates: readonly { id: string; targetId: string; owner: string; batchId: string; at: string }[],
  now: number,
): D1PreparedStatement {
  return db.$client
    .prepare(
      `INSERT INTO webhook_deliveries
        (id, source, target_id, owner, event_type, payload, status, attempts, next_attempt_at, created_at)
      SELECT j ->> 'id', 'subscription', j ->> 'targetId', j ->> 'owner', 'batch.done',
        json_object('type', 'batch.done', 'timestamp', j ->> 'at', 'data', json_object(
          'batch_id', b.batch_id, 'owner', b.owner, 'label', b.label, 'total', b.total, 'finished', b.finished,
          'failed', b.failed, 'canceled', b.canceled, 'done', b.finished + b.failed + b.canceled)),
        'pending', 0, ?2, ?2
      FROM (SELECT value AS j FROM json_each(?1)) JOIN batches b ON b.batch_id = j ->> 'batchId'
      WHERE b.total > 0 AND b.finished + b.failed + b.canceled >= b.total
      ON CONFLICT (id) DO NOTHING`,
    )
    .bind(JSON.stringify(candidates), now);
}

/** Inserts deliveries now (alerts, tests). */
export async function insertDeliveries(db: Db, rows: readonly NewDelivery[], now: number): Promise<void> {
  if (rows.length > 0) await insertDeliveriesStatement(db, rows, now).run();
}

/**
 * Claims pending deliveries that are due — the given ids, or (null) the most overdue `limit` —
 * for one attempt: their due time moves `leaseMs` ahead, so no other sender takes them meanwhile
 * (a sender that vanishes leaves them due again after the lease). Returns the claimed rows.
 */
export async function claimDeliveries(
  db: Db,
  ids: readonly string[] | null,
  now: number,
  leaseMs: number,
  limit = 50,
): Promise<WebhookDeliveryRow[]> {
  const which =
    ids === null
      ? sql`${webhookDeliveries.id} IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ${now} ORDER BY next_attempt_at LIMIT ${limit})`
      : inJson(webhookDeliveries.id, ids);
  if (ids !== null && ids.length === 0) return [];
  return db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastAttemptAt: now,
      nextAttemptAt: now + leaseMs,
    })
    .where(and(which, eq(webhookDeliveries.status, "pending"), sql`${webhookDeliveries.nextAttemptAt} <= ${now}`))
    .returning();
}

/** The outcome of one attempt, as recorded. */
export interface AttemptRecord {
  id: string;
  /** The attempt number the claim gave it (a late record of an older attempt changes nothing). */
  attempts: number;
  status: "pending" | "delivered" | "failed";
  nextAttemptAt: number | null;
  responseStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

/** Records attempts (one statement each, in one batch). */
export async function recordAttempts(db: Db, records: readonly AttemptRecord[]): Promise<void> {
  if (records.length === 0) return;
  const [first, ...rest] = records.map((r) =>
    db
      .update(webhookDeliveries)
      .set({
        status: r.status,
        nextAttemptAt: r.nextAttemptAt,
        responseStatus: r.responseStatus,
        lastError: r.lastError,
        deliveredAt: r.deliveredAt,
      })
      .where(
        and(
          eq(webhookDeliveries.id, r.id),
          eq(webhookDeliveries.attempts, r.attempts),
          eq(webhookDeliveries.status, "pending"),
        ),
      ),
  );
  if (first) await db.batch([first, ...rest]);
}

/** One delivery, or null. */
export async function getDelivery(db: Db, id: string): Promise<WebhookDeliveryRow | null> {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  return row ?? null;
}

/** Deliveries newest first: of one target, or (null) of a source; before `cursor` (a created_at.id). */
export function listDeliveries(
  db: Db,
  filter: { targetId: string | null; source: "alert" | "subscription"; owner: string | null },
  limit: number,
  before: { at: number; id: string } | null,
): Promise<WebhookDeliveryRow[]> {
  const conditions = [eq(webhookDeliveries.source, filter.source)];
  if (filter.targetId !== null) conditions.push(eq(webhookDeliveries.targetId, filter.targetId));
  if (filter.owner !== null) conditions.push(eq(webhookDeliveries.owner, filter.owner));
  if (before !== null) {
    const older = or(
      lt(webhookDeliveries.createdAt, before.at),
      and(eq(webhookDeliveries.createdAt, before.at), lt(webhookDeliveries.id, before.id)),
    );
    if (older) conditions.push(older);
  }
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
}

/** How many subscriptions `owner` has. */
export async function countSubscriptions(db: Db, owner: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(webhookSubscriptions).where(eq(webhookSubscriptions.owner, owner));
  return row?.n ?? 0;
}

/** Deletes finished deliveries (delivered or given up) created before `before`, at most `limit`. */
export async function purgeDeliveries(db: Db, before: number, limit = 5_000): Promise<number> {
  const rows = await db
    .delete(webhookDeliveries)
    .where(
      sql`${webhookDeliveries.id} IN (SELECT id FROM webhook_deliveries WHERE status != 'pending' AND created_at < ${before} LIMIT ${limit})`,
    )
    .returning({ id: webhookDeliveries.id });
  return rows.length;
}
