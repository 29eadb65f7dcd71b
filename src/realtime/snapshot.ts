// Snapshots a new subscriber receives first: the current state of everything its scope covers.
// A task's comes from its method's object (exact); a batch's, an owner's and every user's come from
// the log — the same log every event waits for, so snapshot and events never disagree.
import { and, eq, sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { batches, tasks } from "../db/schema";
import { newestLiveTasks } from "../db/tasks";
import { ALL_SCOPE } from "../shared/realtime-scopes";
import { taskWhere } from "../shared/states";
import { readTask } from "../live/read";
import { batchCounters, toEvent, type TaskEvent } from "../events/events";

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
export async function buildSnapshot(env: Env, scope: string, now: number): Promise<Snapshot> {
  const db = getDb(env);
  if (scope === ALL_SCOPE) {
    const rows = await newestLiveTasks(db, SNAPSHOT_TASKS_MAX);
    return { scope, tasks: rows.map((r) => toEvent(r, undefined, now)), batch: null };
  }
  const [kind = "", ...rest] = scope.split(":");
  const id = rest.join(":");
  if (kind === "task") {
    const task = await readTask(env, id);
    if (!task) return { scope, tasks: [], batch: null };
    const [batch] = task.batchId ? await db.select().from(batches).where(eq(batches.batchId, task.batchId)) : [];
    return { scope, tasks: [toEvent(task, batch, now)], batch: batch ? batchCounters(batch) : null };
  }
  if (kind === "batch") {
    const [batch] = await db.select().from(batches).where(eq(batches.batchId, id));
    const rows = await db
      .select()
      .from(tasks)
      .where(and(eq(tasks.batchId, id), live))
      .orderBy(tasks.batchOrder)
      .limit(SNAPSHOT_TASKS_MAX);
    return { scope, tasks: rows.map((r) => toEvent(r, batch, now)), batch: batch ? batchCounters(batch) : null };
  }
  const rows = await newestLiveTasks(db, SNAPSHOT_TASKS_MAX, id);
  return { scope, tasks: rows.map((r) => toEvent(r, undefined, now)), batch: null };
}
