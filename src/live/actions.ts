// The user actions on tasks — cancel, retry, pause, resume, run-now — as compare-and-sets on each
// task's current status inside its method's object. Each writes the task's row (a cancel of a
// running task thereby ends its attempt at once: the slot is free, and the attempt's late outcome
// is discarded).
import { conflict } from "../shared/errors";
import { isEnded, type TaskStatus } from "../shared/states";
import { clearedRun } from "./dispatch";
import { Live } from "./live";
import type { TaskRecord } from "./store";

export const TASK_ACTIONS = ["cancel", "retry", "pause", "resume", "run-now"] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface ActionOptions {
  /** Cancel: the reason, kept as status_message. */
  message?: string | null;
  /** Retry: put the task at the head of the line. */
  now?: boolean;
}

/** Which states each action starts from (its compare-and-set condition). */
export function actionAllowed(action: TaskAction, task: Pick<TaskRecord, "status" | "wakeAt">): boolean {
  const status: TaskStatus = task.status;
  switch (action) {
    case "cancel":
      // Failed only while an automatic retry is scheduled: canceling stops the retry.
      return ["Pending", "Paused", "Queued", "Started"].includes(status) || (status === "Failed" && task.wakeAt !== null);
    case "retry":
      return status === "Failed" || status === "Canceled";
    case "pause":
      return status === "Pending";
    case "resume":
      return status === "Paused";
    case "run-now":
      return status === "Pending" || status === "Paused";
  }
}

/** Whether the object must admit after the action (a slot freed or work became ready). */
export const ACTION_ADMITS: Record<TaskAction, boolean> = {
  cancel: true,
  retry: true,
  pause: false,
  resume: true,
  "run-now": true,
};

function after(live: Live, action: TaskAction, task: TaskRecord, options: ActionOptions, now: number): TaskRecord {
  const seq = live.nextSeq(task.seq);
  switch (action) {
    case "cancel":
      return {
        ...task,
        status: "Canceled",
        statusMessage: options.message ?? null,
        endedAt: now,
        // A failed attempt waiting for its retry keeps its own duration.
        timeTaken: task.status === "Failed" ? task.timeTaken : task.startedAt === null ? null : (now - task.startedAt) / 1000,
        leaseUntil: null,
        wakeAt: null,
        seq,
      };
    case "retry":
      // A manual retry counts as a retry (retry_count + 1), as in Frappe.
      return {
        ...task,
        status: "Pending",
        lane: options.now ? 2 : task.atFront ? 1 : 0,
        retryCount: task.retryCount + 1,
        ...clearedRun,
        seq,
      };
    case "pause":
      return { ...task, status: "Paused", seq };
    case "resume":
      return { ...task, status: "Pending", seq };
    case "run-now":
      // Head of the line, delayed start ignored — but it still waits for a free slot.
      return { ...task, status: "Pending", lane: 2, wakeAt: null, seq };
  }
}

/**
 * Applies `action` to each named task this object holds whose status allows it. Returns the
 * changed tasks, and the attempts a cancel ended while running (their consumers must be told).
 * A retry that would give two live tasks of one owner the same dedupe_key changes nothing and
 * throws a conflict.
 */
export function applyAction(
  live: Live,
  action: TaskAction,
  names: readonly string[],
  options: ActionOptions,
  now: number,
): { changed: TaskRecord[]; stopped: string[] } {
  const changed: TaskRecord[] = [];
  const stopped: string[] = [];
  for (const task of live.getMany(names)) {
    if (!actionAllowed(action, task)) continue;
    if (action === "retry" && task.dedupeKey !== null) {
      const holder = live.dedupeHolder(task.owner, task.dedupeKey);
      if (holder && holder.name !== task.name) {
        throw conflict("the retry would give two live tasks of one owner the same dedupe_key");
      }
    }
    const next = after(live, action, task, options, now);
    if (task.status === "Started" && action === "cancel") stopped.push(task.name);
    live.writeRow(next, now);
    live.line.remove(task.name);
    live.enterLine(next);
    live.markDirty(next, now);
    changed.push(next);
  }
  return { changed, stopped };
}

/** Whether the task has ended (and so only lives here until the log has it). */
export const ended = (task: Pick<TaskRecord, "status" | "wakeAt">) => isEnded(task);
