// User actions on tasks — one task, a list, a batch or a filter — carried to the objects that own
// the tasks. Each object applies the action as a compare-and-set on the task's current status;
// a retry of a task that has ended and left its object takes the log's row back in first.
import { and, desc, eq, inArray } from "drizzle-orm";
import { readBatch } from "../db/live-log";
import { getDb } from "../db/client";
import { methodsOfTasks } from "../db/routes";
import { tasks } from "../db/schema";
import { filterWhere, type TaskFilter } from "../db/task-filter";
import { getLoggedTasks } from "../db/tasks";
import { actionAllowed, type ActionOptions, type TaskAction } from "../live/actions";
import type { TaskRecord } from "../live/store";
import { conflict } from "../shared/errors";
import { isEnded, type TaskStatus } from "../shared/states";
import { canSee, isSystemManager, type User } from "../shared/user";
import { byObject, eachObject, objectOf } from "../live/client";
import { readTask, readTasks } from "../live/read";

/** Most tasks one bulk action may touch; by batch or filter, call again while `truncated`. */
export const ACTION_MAX = 500;

/**
 * Applies the action to the named tasks in their objects and returns the changed tasks. A retry
 * that would give two live tasks of one owner the same dedupe_key changes nothing and is a conflict.
 */
export async function performAction(
  env: Env,
  action: TaskAction,
  names: readonly string[],
  options: ActionOptions = {},
): Promise<TaskRecord[]> {
  const db = getDb(env);
  const changed: TaskRecord[] = [];
  for (const [method, ofMethod] of await methodsOfTasks(db, names)) {
    for (const [object, group] of byObject(method, ofMethod)) {
      // A retry may concern ended tasks the object no longer holds: the log's rows come along.
      const logged = action === "retry" ? (await getLoggedTasks(db, group)).filter(isEnded) : [];
      const result = await objectOf(env, object, (o) => o.act(action, group, options, logged));
      if (result.refused !== null) throw conflict(result.refused);
      changed.push(...result.changed);
    }
  }
  return changed;
}

/**
 * Runs an action on one task (which the caller has been shown may see it): the task after it, or a
 * conflict naming the status that does not allow it.
 */
export async function actOnTask(env: Env, task: TaskRecord, action: TaskAction, options: ActionOptions = {}) {
  const [after] = await performAction(env, action, [task.name], options);
  if (after) return after;
  const status = (await readTask(env, task.name))?.status ?? task.status;
  throw conflict(`cannot ${action} a task that is ${status}`, { status });
}

/** Which tasks a bulk action targets: named ones, a batch's, or those matching a filter. */
export interface ActionSelection {
  names?: string[];
  batchId?: string;
  /** The task list's filters (GET /api/v1/tasks), so "everything this filter matches" is the same rows. */
  filter?: TaskFilter;
  /** Only tasks in these statuses (batch actions such as retry-failed). */
  statuses?: TaskStatus[];
}

/** The tasks of a batch as they are now: the live ones from its objects, the rest from the log. */
async function batchTasks(env: Env, batchId: string): Promise<TaskRecord[]> {
  const db = getDb(env);
  const batch = await readBatch(db, batchId);
  const found = new Map<string, TaskRecord>();
  for (const method of batch?.methods ?? []) {
    for (const part of await eachObject(env, method, (o) => o.batchTasks(batchId)))
      for (const task of part) found.set(task.name, task);
  }
  const logged = await db.select({ name: tasks.name }).from(tasks).where(eq(tasks.batchId, batchId));
  const missing = logged.map((r) => r.name).filter((n) => !found.has(n));
  for (const task of await readTasks(env, missing)) found.set(task.name, task);
  return [...found.values()].sort((a, b) => (a.name < b.name ? 1 : -1));
}

/**
 * Applies `action` to the selected tasks (named ones, or up to ACTION_MAX of a batch or a filter),
 * reporting per name whether it was done or skipped and why. Invisible tasks are reported
 * "not found", exactly like missing ones. A filter selects from the log (which trails the objects
 * by the log lag); a batch from its objects and the log.
 */
export async function bulkAction(
  env: Env,
  user: User,
  action: TaskAction,
  select: ActionSelection,
  options: ActionOptions,
) {
  const admin = isSystemManager(user);
  let requested: string[];
  let truncated = false;
  if (select.names) {
    requested = [...new Set(select.names)];
  } else {
    let candidates: TaskRecord[];
    if (select.batchId !== undefined && select.filter === undefined) {
      candidates = await batchTasks(env, select.batchId);
    } else {
      const rows = await getDb(env)
        .select({ name: tasks.name })
        .from(tasks)
        .where(
          and(
            select.batchId ? eq(tasks.batchId, select.batchId) : undefined,
            select.statuses ? inArray(tasks.status, select.statuses) : undefined,
            select.filter ? filterWhere(select.filter) : undefined,
            admin ? undefined : eq(tasks.owner, user.name),
          ),
        )
        .orderBy(desc(tasks.name))
        .limit(ACTION_MAX * 4);
      candidates = await readTasks(
        env,
        rows.map((r) => r.name),
      );
    }
    // Only tasks the action can apply to, so repeating a truncated call makes progress.
    const applicable = candidates
      .filter((t) => canSee(user, t.owner))
      .filter((t) => select.statuses === undefined || select.statuses.includes(t.status))
      .filter((t) => actionAllowed(action, t))
      .sort((a, b) => (a.name < b.name ? 1 : -1));
    truncated = applicable.length > ACTION_MAX;
    requested = applicable.slice(0, ACTION_MAX).map((t) => t.name);
  }
  const visible = (await readTasks(env, requested)).filter((t) => canSee(user, t.owner));
  const visibleNames = visible.map((t) => t.name);
  const changed = visibleNames.length === 0 ? [] : await performAction(env, action, visibleNames, options);
  const done = new Map(changed.map((t) => [t.name, t.status]));
  const status = new Map(visible.map((t) => [t.name, t.status]));
  if (changed.length < visible.length) {
    for (const t of await readTasks(
      env,
      visibleNames.filter((n) => !done.has(n)),
    ))
      status.set(t.name, t.status);
  }
  const results = requested.map((name) => {
    if (done.has(name)) return { name, outcome: "done" as const, status: done.get(name) ?? null, reason: null };
    const now = status.get(name);
    return {
      name,
      outcome: "skipped" as const,
      status: now ?? null,
      reason: now === undefined ? "not found" : `cannot ${action} a task that is ${now}`,
    };
  });
  return { action, done: done.size, skipped: results.length - done.size, truncated, results };
}
