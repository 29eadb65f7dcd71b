// User actions on tasks — one task, a list, a batch or a filter — with what must follow every
// action: events for the changed tasks and a wake for their methods' schedulers.
import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { dbErrorMentions } from "../db/errors";
import { inJson } from "../db/in-json";
import { tasks, type TaskRow } from "../db/schema";
import { filterWhere, type TaskFilter } from "../db/task-filter";
import { wakeSchedulers } from "../dispatch/wake";
import { publishTaskEvents } from "../realtime/events";
import { conflict } from "../shared/errors";
import type { TaskStatus } from "../shared/states";
import { isSystemManager, type User } from "../shared/user";
import { ACTION_FROM, ACTION_WAKES, applyAction, type ActionOptions, type TaskAction } from "../transitions/actions";
import type { WatchedTask } from "../transitions/columns";

/** Most tasks one bulk action may touch; by batch or filter, call again while `truncated`. */
export const ACTION_MAX = 500;

/**
 * Applies the action, then publishes the changed tasks' events and wakes the schedulers of their
 * methods (slots freed, work released). A retry that would give two live tasks of one owner the
 * same dedupe_key changes nothing and is a conflict.
 */
export async function performAction(
  env: Env,
  action: TaskAction,
  target: SQL | undefined,
  options: ActionOptions = {},
): Promise<WatchedTask[]> {
  let changed: WatchedTask[];
  try {
    changed = await applyAction(getDb(env), action, target, options);
  } catch (error) {
    if (dbErrorMentions(error, "UNIQUE constraint failed")) {
      throw conflict("the retry would give two live tasks of one owner the same dedupe_key");
    }
    throw error;
  }
  await publishTaskEvents(env, changed);
  if (ACTION_WAKES[action])
    await wakeSchedulers(
      env,
      changed.map((t) => t.method),
    );
  return changed;
}

/**
 * Runs an action on one task (which the caller has been shown may see it): the task after it, or a
 * conflict naming the status that does not allow it.
 */
export async function actOnTask(
  env: Env,
  task: TaskRow,
  action: TaskAction,
  options: ActionOptions = {},
): Promise<WatchedTask> {
  const [after] = await performAction(env, action, eq(tasks.name, task.name), options);
  if (after) return after;
  const [now] = await getDb(env).select({ status: tasks.status }).from(tasks).where(eq(tasks.name, task.name));
  const status = now?.status ?? task.status;
  throw conflict(`cannot ${action} a task that is ${status}`, { status });
}

/** Only a System Manager acts on other users' tasks. */
function visibleTo(user: User): SQL | undefined {
  return isSystemManager(user) ? undefined : eq(tasks.owner, user.name);
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

/**
 * Applies `action` to the selected tasks (named ones, or up to ACTION_MAX of a batch or a filter),
 * reporting per name whether it was done or skipped and why. Invisible tasks are reported
 * "not found", exactly like missing ones.
 */
export async function bulkAction(
  env: Env,
  user: User,
  action: TaskAction,
  select: ActionSelection,
  options: ActionOptions,
) {
  const db = getDb(env);
  let requested: string[];
  let truncated = false;
  if (select.names) {
    requested = [...new Set(select.names)];
  } else {
    const where = and(
      select.batchId ? eq(tasks.batchId, select.batchId) : undefined,
      select.statuses ? inArray(tasks.status, select.statuses) : undefined,
      select.filter ? filterWhere(select.filter) : undefined,
    );
    // Only tasks the action can apply to, so repeating a truncated call makes progress.
    const rows = await db
      .select({ name: tasks.name })
      .from(tasks)
      .where(and(where, visibleTo(user), ACTION_FROM[action]))
      .orderBy(desc(tasks.name))
      .limit(ACTION_MAX + 1);
    truncated = rows.length > ACTION_MAX;
    requested = rows.slice(0, ACTION_MAX).map((r) => r.name);
  }
  let changed: WatchedTask[] = [];
  if (requested.length > 0) {
    changed = await performAction(env, action, and(inJson(tasks.name, requested), visibleTo(user)), options);
  }
  const done = new Map(changed.map((t) => [t.name, t.status]));
  const others = requested.filter((n) => !done.has(n));
  const current =
    others.length === 0
      ? []
      : await db
          .select({ name: tasks.name, status: tasks.status })
          .from(tasks)
          .where(and(inJson(tasks.name, others), visibleTo(user)));
  const status = new Map(current.map((t) => [t.name, t.status]));
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
