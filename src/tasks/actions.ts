// The user actions on tasks — cancel, retry, pause, resume, run-now — as set-based compare-and-set
// updates: one statement acts on every task matching a target (one name, a list, a batch) that is
// in a status the action allows, and returns exactly the rows it changed.
import { and, eq, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import { conflict } from "../api/errors";
import { getDb, type Db } from "../db/client";
import { dbErrorMentions } from "../db/errors";
import { tasks } from "../db/schema";
import { wakeSchedulers } from "../dispatch/wake";
import { publishTaskEvents, rowWithWatch } from "../realtime/events";
import { clearedRun, type WatchedTask } from "./lifecycle";

export const TASK_ACTIONS = ["cancel", "retry", "pause", "resume", "run-now"] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface ActionOptions {
  /** Cancel: the reason, kept as status_message. */
  message?: string | null;
  /** Retry: put the task at the head of the line. */
  now?: boolean;
}

/** Which statuses each action starts from (its compare-and-set condition). */
export const ACTION_FROM: Record<TaskAction, SQL | undefined> = {
  // Failed only while an automatic retry is scheduled: canceling stops the retry.
  cancel: or(
    inArray(tasks.status, ["Pending", "Paused", "Queued", "Started"]),
    and(eq(tasks.status, "Failed"), isNotNull(tasks.wakeAt)),
  ),
  retry: inArray(tasks.status, ["Failed", "Canceled"]),
  pause: eq(tasks.status, "Pending"),
  resume: eq(tasks.status, "Paused"),
  "run-now": inArray(tasks.status, ["Pending", "Paused"]),
};

/** Whether the scheduler must run a pass after the action (a slot freed or work became ready). */
export const ACTION_WAKES: Record<TaskAction, boolean> = {
  cancel: true,
  retry: true,
  pause: false,
  resume: true,
  "run-now": true,
};

const nextSeq = sql`${tasks.seq} + 1`;

function changes(action: TaskAction, options: ActionOptions, now: number) {
  switch (action) {
    case "cancel":
      return {
        status: "Canceled",
        statusMessage: options.message ?? null,
        endedAt: now,
        timeTaken: sql`CASE WHEN ${tasks.startedAt} IS NULL THEN NULL ELSE (${now} - ${tasks.startedAt}) / 1000.0 END`,
        leaseUntil: null,
        wakeAt: null,
      };
    case "retry":
      // A manual retry counts as a retry (retry_count + 1), as in Frappe.
      return {
        status: "Pending",
        lane: options.now ? 2 : sql`CASE WHEN ${tasks.atFront} THEN 1 ELSE 0 END`,
        retryCount: sql`${tasks.retryCount} + 1`,
        ...clearedRun,
      };
    case "pause":
      return { status: "Paused" };
    case "resume":
      return { status: "Pending" };
    case "run-now":
      // Head of the line, delayed start ignored — but it still waits for a free slot.
      return { status: "Pending", lane: 2, wakeAt: null };
  }
}

/**
 * Applies `action` to every task matching `target` whose status allows it. Returns the changed
 * rows (with their watch expiry, for events). A retry that would make two live tasks share a
 * dedupe_key throws the unique-constraint error.
 */
export async function applyAction(
  db: Db,
  action: TaskAction,
  target: SQL | undefined,
  options: ActionOptions = {},
  now = Date.now(),
): Promise<WatchedTask[]> {
  return db
    .update(tasks)
    .set({ ...changes(action, options, now), seq: nextSeq })
    .where(and(target, ACTION_FROM[action]))
    .returning(rowWithWatch);
}

/**
 * applyAction, then what must follow every action: publish the changed tasks' events and wake
 * the schedulers of their methods (slots freed, work released). A retry that would give two live
 * tasks of one owner the same dedupe_key changes nothing and is a 409.
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
