// The user actions on tasks — cancel, retry, pause, resume, run-now — as compare-and-sets on each
// task's current status inside its method's object. Each writes the task's row (a cancel of a
// running task thereby ends its attempt at once: the slot is free, and the attempt's late outcome
// is discarded).
import type { FlowOutcome } from "../shared/flow";
import type { TaskStatus } from "../shared/states";
import { clearedRun } from "./dispatch";
import { adoptTask } from "./adopt";
import { Live } from "./live";
import type { TaskRecord } from "./store";

export const TASK_ACTIONS = ["cancel", "retry", "pause", "resume", "run-now"] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

export interface ActionOptions {
  /** Cancel: the reason, kept as status_message. */
  message?: string | null;
  /** Retry: put the task at the head of the line. */
  now?: boolean;
  /** Cancel by flow control: why (kept as flow_outcome). */
  flowOutcome?: FlowOutcome;
}

/** Which states each action starts from (its compare-and-set condition). */
export function actionAllowed(action: TaskAction, task: Pick<TaskRecord, "status" | "wakeAt">): boolean {
  const status: TaskStatus = task.status;
  switch (action) {
    case "cancel":
      // Failed only while an automatic retry is scheduled: canceling stops the retry.
      return (
        ["Pending", "Paused", "Queued", "Started"].includes(status) || (status === "Failed" && task.wakeAt !== null)
      );
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
        flowOutcome: options.flowOutcome ?? null,
        endedAt: now,
        // A failed attempt waiting for its retry keeps its own duration.
        timeTaken:
          task.status === "Failed" ? task.timeTaken : task.startedAt === null ? null : (now - task.startedAt) / 1000,
        // A running attempt may still report what it left (its debug log): the task stays here
        // for that until its lease ends.
        leaseUntil: task.status === "Started" ? task.leaseUntil : null,
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
        flowOutcome: null,
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

/** What an action did: the changed tasks, the running attempts a cancel ended, or why it refused. */
export interface ActionResult {
  changed: TaskRecord[];
  stopped: string[];
  /** Set when the action changed nothing because it would break a rule (a dedupe_key held twice). */
  refused: string | null;
}

/**
 * Applies `action` to each named task whose status allows it: the tasks this object holds, and —
 * for a retry — ended tasks the log holds (`logged`), which are taken back in first. A retry that
 * would give two live tasks of one owner the same dedupe_key changes nothing at all and says so.
 */
export function applyAction(
  live: Live,
  action: TaskAction,
  names: readonly string[],
  options: ActionOptions,
  now: number,
  logged: readonly TaskRecord[] = [],
): ActionResult {
  const held = live.getMany(names);
  const heldNames = new Set(held.map((t) => t.name));
  const fromLog = logged.filter(
    (t) => names.includes(t.name) && !heldNames.has(t.name) && !live.store.readTask(t.name),
  );
  const tasks = [...held, ...fromLog].filter((task) => actionAllowed(action, task));
  if (action === "retry") {
    for (const task of tasks) {
      if (task.dedupeKey === null) continue;
      const holder = live.dedupeHolder(task.owner, task.dedupeKey);
      if (holder && holder.name !== task.name) {
        return {
          changed: [],
          stopped: [],
          refused: "the retry would give two live tasks of one owner the same dedupe_key",
        };
      }
    }
  }
  for (const task of fromLog) if (tasks.includes(task)) adoptTask(live, task, now, live.cfg.leaseGraceMs);
  const changed: TaskRecord[] = [];
  const stopped: string[] = [];
  for (const task of tasks) {
    const next = after(live, action, task, options, now);
    if (task.status === "Started" && action === "cancel") {
      stopped.push(task.name);
      if (next.leaseUntil !== null) live.stopping.set(task.name, next.leaseUntil);
    }
    live.writeRow(next, now);
    live.line.remove(task.name);
    live.enterLine(next);
    live.markDirty(next, now);
    if (action === "cancel") live.counters.add("canceled");
    if (action === "retry") live.counters.add("retried");
    changed.push(next);
  }
  return { changed, stopped, refused: null };
}
