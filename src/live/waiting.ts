// "Why is this task waiting?": the facts the method's object admits by, read from its live state
// at one instant, turned into one reason with a sentence for people — the console's waiting panel
// and GET /api/v1/tasks/{name}/waiting.
import type { TaskStatus, WaitingReason } from "../shared/states";
import { compareLine, type LineEntry } from "./line";
import { Live } from "./live";

/** What the admission rule and the task's state say, at one instant. */
export interface WaitingFacts {
  method: string;
  status: TaskStatus;
  wakeAt: number | null;
  attempt: number;
  retryCount: number;
  maxRetries: number;
  /** How many dispatchable tasks of the method the object would admit now (the admission rule). */
  free: number;
  dispatcherOn: boolean;
  /** The method's concurrency limit, 0 = unlimited. */
  limit: number;
  /** The method's tasks holding a slot (Queued + Started). */
  running: number;
  /** Dispatchable tasks of the method admitted before this one; null unless it is in line. */
  ahead: number | null;
}

/** A cap larger than any line, so `free` is the rule's own answer, not a pass's batch size. */
const NO_CAP = 1_000_000_000;

/** The facts for task `name` in this object, or null when it does not hold the task. */
export function waitingFacts(live: Live, name: string): WaitingFacts | null {
  const task = live.get(name);
  if (!task) return null;
  const entry = Live.entry(task);
  return {
    method: task.method,
    status: task.status,
    wakeAt: task.wakeAt,
    attempt: task.attempt,
    retryCount: task.retryCount,
    maxRetries: task.maxRetries,
    free: live.freeSlots(NO_CAP),
    dispatcherOn: live.settings.dispatcherOn,
    limit: live.settings.limit,
    running: live.running(),
    ahead: live.inLine(task) ? (live.line.placeOf(entry, new Set()) ?? countAhead(live, entry)) : null,
  };
}

/** Dispatchable tasks before `entry` in line, counted in storage (when the head cannot tell). */
function countAhead(live: Live, entry: LineEntry): number {
  const held = JSON.stringify([...live.holds.keys()]);
  const [row] = live.store.exec<{ n: number }>(
    `SELECT count(*) AS n FROM tasks
     WHERE status = 'Pending' AND wake_at IS NULL AND (hold IS NULL OR hold NOT IN (SELECT value FROM json_each(?)))
       AND (-lane, -priority, order_key, batch_order, name) < (?, ?, ?, ?, ?)`,
    held,
    -entry.lane,
    -entry.priority,
    entry.orderKey,
    entry.batchOrder,
    entry.name,
  );
  // Tasks in flight still read Pending in storage: they are not in line.
  const inFlight = live.store
    .readTasks([...live.inFlight.keys()])
    .filter((r) => r.status === "Pending" && r.wakeAt === null && compareLine(Live.entry(r), entry) < 0).length;
  return (row?.n ?? 0) - inFlight;
}

export interface Waiting {
  reason: WaitingReason;
  message: string;
  /** When a timer releases it (delayed start, scheduled retry), ISO 8601. */
  until: string | null;
  /** Dispatchable tasks of its method admitted before it (only while it is in line). */
  ahead: number | null;
  /** The method's concurrency limit (null: unlimited, or not in line). */
  limit: number | null;
  /** The method's tasks holding a slot now (only while it is in line). */
  running: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const NOT_WAITING: Record<string, string> = {
  Queued: "It has been admitted and is waiting for a worker to claim it.",
  Started: "It is running.",
  Finished: "It has finished.",
  Canceled: "It was canceled.",
  Failed: "It failed and no retry is scheduled.",
};

/**
 * The reason for a task's facts. Timers and holds come first (paused, a scheduled retry, a delayed
 * start); a task in line is explained by the admission rule: the dispatcher switch, then whether
 * the slots the rule grants (`free`) reach it past the tasks ahead of it — ready if they do; if
 * not, held by the full limit when it is first in line, else queued behind the tasks ahead.
 */
export function explainWaiting(f: WaitingFacts): Waiting {
  const none = { until: null, ahead: null, limit: null, running: null };
  if (f.status === "Paused") {
    return { reason: "paused", message: "It is paused: resume it (or run it now) to put it back in line.", ...none };
  }
  if (f.status === "Failed" && f.wakeAt !== null) {
    return {
      ...none,
      reason: "retry_scheduled",
      message: `Attempt ${f.attempt} failed; retry ${f.retryCount + 1} of ${f.maxRetries} is scheduled for ${iso(f.wakeAt)}.`,
      until: iso(f.wakeAt),
    };
  }
  if (f.status === "Pending" && f.wakeAt !== null) {
    return {
      ...none,
      reason: "delayed",
      message: `Its start is delayed until ${iso(f.wakeAt)}; then it joins the line of ${f.method}.`,
      until: iso(f.wakeAt),
    };
  }
  if (f.status !== "Pending" || f.ahead === null) {
    return { reason: "not_waiting", message: NOT_WAITING[f.status] ?? `It is ${f.status}.`, ...none };
  }
  const line = {
    until: null,
    ahead: f.ahead,
    limit: f.limit > 0 ? f.limit : null,
    running: f.running,
  };
  const slots = f.limit > 0 ? `${f.running} of ${f.limit} slots of ${f.method} in use` : `${f.method} has no limit`;
  if (!f.dispatcherOn) {
    return {
      ...line,
      reason: "dispatcher_suspended",
      message: "The dispatcher is suspended: nothing new starts until a System Manager resumes it.",
    };
  }
  if (f.free > f.ahead) {
    return {
      ...line,
      reason: "ready",
      message: `A slot is free (${slots}); the object of ${f.method} admits it at once.`,
    };
  }
  if (f.ahead === 0) {
    return {
      ...line,
      reason: "concurrency_limit",
      message: `It is next in line, but the concurrency limit is full: ${slots}.`,
    };
  }
  return {
    ...line,
    reason: "queued_behind",
    message: `${plural(f.ahead, "task")} of ${f.method} ${f.ahead === 1 ? "is" : "are"} ahead of it (${slots}).`,
  };
}
