// What a method's object reads from D1: its settings (task type, dispatcher switch) when it wakes,
// the log's live rows of its method to reconcile with, a batch's row (pause_rest), the commits of
// held bulk enqueues, the watches behind progress events, and its mark in the method registry.
import { and, eq, gt, sql } from "drizzle-orm";
import { ALL_SCOPE } from "../shared/realtime-scopes";
import { fromJson } from "../shared/json";
import { DISPATCHER_KEY, taskWhere } from "../shared/states";
import type { Db } from "./client";
import { inJson } from "./in-json";
import {
  batches,
  bulkCommits,
  methodRoutes,
  realtimeWatches,
  settings,
  taskTypes,
  tasks,
  type BatchRow,
  type TaskRow,
} from "./schema";

/** The task type's flow control (JSON), or null: the method's code declares it (one statement). */
export async function readFlowControl(db: Db, method: string): Promise<string | null> {
  const [row] = await db
    .select({ flowControl: taskTypes.flowControl })
    .from(taskTypes)
    .where(eq(taskTypes.method, method));
  return row?.flowControl ?? null;
}

/** The method's concurrency limit and default priority, and the dispatcher switch. */
export async function readMethodSettings(db: Db, method: string) {
  const [types, switches, routes] = await db.batch([
    db.select().from(taskTypes).where(eq(taskTypes.method, method)),
    db.select().from(settings).where(eq(settings.key, DISPATCHER_KEY)),
    db.select({ shards: methodRoutes.shards }).from(methodRoutes).where(eq(methodRoutes.method, method)),
  ]);
  const [type] = types;
  const [dispatcher] = switches;
  return {
    limit: type?.concurrencyLimit ?? 0,
    priority: type?.priority ?? 0,
    dispatcherOn: dispatcher === undefined || dispatcher.value === "1",
    /** How many shard objects the method has ever had. */
    shardObjects: routes[0]?.shards ?? 1,
    /** The task type's flow control (JSON), or null: the method's code declares it. */
    flowControl: type?.flowControl ?? null,
  };
}

const LIVE = sql.raw(taskWhere.live());
const PAGE = 500;

/** The log's live rows of `method`, a page at a time (on the tasks_live index). */
export async function* readLiveLog(db: Db, method: string): AsyncGenerator<Omit<TaskRow, "loggedAt">[]> {
  let after = "";
  for (;;) {
    const rows = await db
      .select()
      .from(tasks)
      .where(and(eq(tasks.method, method), LIVE, gt(tasks.name, after)))
      .orderBy(tasks.name)
      .limit(PAGE);
    if (rows.length === 0) return;
    yield rows.map(({ loggedAt: _loggedAt, ...task }) => task);
    if (rows.length < PAGE) return;
    after = rows.at(-1)?.name ?? after;
  }
}

/** A batch's row, or null. */
export async function readBatch(
  db: Db,
  batchId: string,
): Promise<(Omit<BatchRow, "methods"> & { methods: string[] }) | null> {
  const [row] = await db.select().from(batches).where(eq(batches.batchId, batchId));
  if (!row) return null;
  return { ...row, methods: Object.keys(fromJson(row.methods)) };
}

/** Which of these bulk-enqueue tokens committed. */
export async function committedBulks(db: Db, tokens: readonly string[]): Promise<Set<string>> {
  if (tokens.length === 0) return new Set();
  const rows = await db.select({ token: bulkCommits.token }).from(bulkCommits).where(inJson(bulkCommits.token, tokens));
  return new Set(rows.map((r) => r.token));
}

/** Until when a task's own, batch's or owner's scope, and the every-task scope, are watched. */
export async function readWatches(
  db: Db,
  task: Pick<TaskRow, "name" | "batchId" | "owner">,
): Promise<{ watchUntil: number | null; allWatchUntil: number | null }> {
  const scopes = [`task:${task.name}`, `owner:${task.owner}`, ALL_SCOPE];
  if (task.batchId !== null) scopes.push(`batch:${task.batchId}`);
  const rows = await db.select().from(realtimeWatches).where(inJson(realtimeWatches.scope, scopes));
  let watchUntil: number | null = null;
  let allWatchUntil: number | null = null;
  for (const row of rows) {
    if (row.scope === ALL_SCOPE) allWatchUntil = row.until;
    else watchUntil = Math.max(watchUntil ?? 0, row.until);
  }
  return { watchUntil, allWatchUntil };
}

/** Keeps the method marked live in the registry until `until` (the minute cron looks at those). */
export async function markMethodLive(db: Db, method: string, until: number): Promise<void> {
  await db.update(methodRoutes).set({ liveUntil: until }).where(eq(methodRoutes.method, method));
}
