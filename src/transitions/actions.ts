// The user actions on tasks — cancel, retry, pause, resume, run-now — as set-based compare-and-set
// updates: one statement acts on every task matching a target (one name, a list, a batch, a
// filter) whose status the action allows, and returns exactly the rows it changed.
import { and, eq, inArray, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import { nextSeq, rowWithWatch, type WatchedTask } from "./columns";
import { clearedRun, elapsedSeconds } from "./outcome";

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

function changes(action: TaskAction, options: ActionOptions, now: number) {
  switch (action) {
    case "cancel":
      return {
        status: "Canceled" as const,
        statusMessage: options.message ?? null,
        endedAt: now,
        // A failed attempt waiting for its retry keeps its own duration.
        timeTaken: sql<
          number | null
        >`CASE WHEN ${tasks.status} = 'Failed' THEN ${tasks.timeTaken} ELSE ${elapsedSeconds(now)} END`,
        leaseUntil: null,
        wakeAt: null,
      };
    case "retry":
      // A manual retry counts as a retry (retry_count + 1), as in Frappe.
      return {
        status: "Pending" as const,
        lane: options.now ? 2 : sql<number>`CASE WHEN ${tasks.atFront} THEN 1 ELSE 0 END`,
        retryCount: sql<number>`${tasks.retryCount} + 1`,
        ...clearedRun,
      };
    case "pause":
      return { status: "Paused" as const };
    case "resume":
      return { status: "Pending" as const };
    case "run-now":
      // Head of the line, delayed start ignored — but it still waits for a free slot.
      return { status: "Pending" as const, lane: 2, wakeAt: null };
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
  const [changed] = await db.batch([
    db
      .update(tasks)
      .set({ ...changes(action, options, now), seq: nextSeq })
      .where(and(target, ACTION_FROM[action]))
      .returning(rowWithWatch),
  ]);
  return changed;
}
