// Snapshots a new subscriber receives first: the current state of everything its scope covers.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { inJson } from "../db/in-json";
import { batches, tasks } from "../db/schema";
import { newestLiveTaskNames } from "../db/tasks";
import { ALL_SCOPE } from "../shared/realtime-scopes";
import { taskWhere } from "../shared/states";
import { eventColumns } from "../transitions/columns";
import { batchCounters, toEvent, type TaskEvent } from "./events";

const SNAPSHOT_TASKS_MAX = 1000;

/** What a snapshot lists for batch and owner scopes (ended tasks are summed in counters). */
const live = sql.raw(taskWhere.live());

export interface Snapshot {
  scope: string;
  tasks: TaskEvent[];
  batch: ReturnType<typeof batchCounters> | null;
}

/**
 * The snapshot for a scope: `task:<name>` (that task), `batch:<id>` (the counters and the batch's
 * live tasks), `owner:<user>` (the user's live tasks, newest first) or `all` (everyone's live
 * tasks, newest first), up to 1,000 tasks.
 */
export async function buildSnapshot(db: Db, scope: string, now: number): Promise<Snapshot> {
  if (scope === ALL_SCOPE) {
    const names = await newestLiveTaskNames(db, SNAPSHOT_TASKS_MAX);
    const rows =
      names.length === 0
        ? []
        : await db.select(eventColumns).from(tasks).where(inJson(tasks.name, names)).orderBy(desc(tasks.name));
    return { scope, tasks: rows.map((r) => toEvent(r, undefined, now)), batch: null };
  }
  const [kind = "", ...rest] = scope.split(":");
  const id = rest.join(":");
  if (kind === "task") {
    const [row] = await db.select(eventColumns).from(tasks).where(eq(tasks.name, id));
    if (!row) return { scope, tasks: [], batch: null };
    const [batch] = row.batchId ? await db.select().from(batches).where(eq(batches.batchId, row.batchId)) : [];
    return { scope, tasks: [toEvent(row, batch, now)], batch: batch ? batchCounters(batch) : null };
  }
  if (kind === "batch") {
    const [batch] = await db.select().from(batches).where(eq(batches.batchId, id));
    const rows = await db
      .select(eventColumns)
      .from(tasks)
      .where(and(eq(tasks.batchId, id), live))
      .orderBy(tasks.batchOrder)
      .limit(SNAPSHOT_TASKS_MAX);
    return { scope, tasks: rows.map((r) => toEvent(r, batch, now)), batch: batch ? batchCounters(batch) : null };
  }
  const rows = await db
    .select(eventColumns)
    .from(tasks)
    .where(and(eq(tasks.owner, id), live))
    .orderBy(desc(tasks.name))
    .limit(SNAPSHOT_TASKS_MAX);
  return { scope, tasks: rows.map((r) => toEvent(r, undefined, now)), batch: null };
}
