// "Why is this task waiting?": the facts the method's object admits by, read from its live state
// at one instant, turned into one reason with a sentence for people — the console's waiting panel
// and GET /api/v1/tasks/{name}/waiting.
import type { TaskStatus, WaitingReason } from "../shared/states";
import { keyLabel } from "../shared/flow";
import type { FairEntry } from "./fair-line";
import { FlowGate, type Hold } from "./flow-gate";
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
  /** Flow control limits holding it back now (per-key concurrency, singleton, throttle). */
  holds?: Hold[];
  /** Fairness: its key, and the other keys whose turn comes before its own (in line only). */
  fair?: { label: string; key: string; ownAhead: number; otherKeys: number; othersAhead: number } | null;
  /** Debounce: the key it waits out its period for (with wakeAt). */
  debounceKey?: string | null;
  /** A sharded method: the task's shard and the slots of the limit it holds now (`running` is the shard's). */
  shard?: { shard: number; slots: number } | null;
}

/** A cap larger than any line, so `free` is the rule's own answer, not a pass's batch size. */
const NO_CAP = 1_000_000_000;

/** The facts for task `name` in this object, or null when it does not hold the task. */
export function waitingFacts(
  live: Live,
  name: string,
  now = Date.now(),
  shard: { shard: number; slots: number } | null = null,
): WaitingFacts | null {
  const task = live.get(name);
  if (!task) return null;
  const entry = Live.entry(task);
  const inLine = live.inLine(task);
  const fair = inLine ? fairPlace(live, entry) : null;
  const gate = new FlowGate(live.settings.flow, live.throttles, now, live.runningKeys());
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
    ahead: fair === null ? null : fair.ownAhead + fair.othersAhead,
    holds: inLine ? gate.holdsOf(entry.keys) : [],
    fair: fair && live.settings.flow.fairness ? { ...fair, label: keyLabel(live.settings.flow.fairness.key) } : null,
    debounceKey: task.status === "Pending" && task.wakeAt !== null ? (entry.keys.d ?? null) : null,
    shard,
  };
}

/**
 * Where a task in line stands by the fair rule (fair-line.ts): tasks of its own key before it,
 * and for each other key the tasks it admits before this one's turn — its run-now tasks, and one
 * per turn while that key's pass is at or below the pass this task's key reaches for it.
 */
function fairPlace(
  live: Live,
  entry: FairEntry,
): { key: string; ownAhead: number; otherKeys: number; othersAhead: number } {
  const counts = live.lineCounts(entry);
  const own = counts.find((c) => c.key === entry.key);
  const ownAhead = own?.before ?? 0;
  let othersAhead = 0;
  let otherKeys = 0;
  const weight = (k: string) => Math.max(1, live.settings.flow.fairness?.weights[k] ?? 1);
  const myTurn = live.line.passOf(entry.key) + ownAhead / weight(entry.key);
  for (const c of counts) {
    if (c.key === entry.key) continue;
    let n: number;
    if (entry.lane >= 2) n = c.before;
    else {
      const turns = Math.max(0, Math.floor((myTurn - live.line.passOf(c.key)) * weight(c.key)) + 1);
      n = c.runNow + Math.min(c.waiting - c.runNow, turns);
    }
    othersAhead += n;
    if (n > 0) otherKeys++;
  }
  return { key: entry.key, ownAhead, otherKeys, othersAhead };
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
  /** Every cause that holds it back now, the deciding one (`reason`) first. */
  causes: { reason: WaitingReason; message: string }[];
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
  const primary = explainPrimary(f);
  const flow = flowCauses(f);
  const causes = [{ reason: primary.reason, message: primary.message }];
  for (const cause of flow) if (cause.message !== primary.message) causes.push(cause);
  return { ...primary, causes: primary.reason === "not_waiting" ? [] : causes };
}

/** Every flow control cause of the facts, worded for people. */
function flowCauses(f: WaitingFacts): { reason: WaitingReason; message: string }[] {
  const out: { reason: WaitingReason; message: string }[] = [];
  for (const hold of f.holds ?? []) {
    if (hold.kind === "throttled") {
      const who = hold.value === "" ? "" : ` for ${hold.value}`;
      out.push({ reason: "throttled", message: `throttled${who} — next start at ${iso(hold.nextAt)}` });
    } else if (hold.kind === "key_limit") {
      out.push({
        reason: "key_limit",
        message: `${hold.running} of ${hold.limit} running for ${hold.key} = ${hold.value === "" ? "(not set)" : hold.value}`,
      });
    } else {
      out.push({
        reason: "singleton",
        message: `a run with the same singleton key (${hold.value}) is live`,
      });
    }
  }
  if (f.fair && f.fair.otherKeys > 0 && f.status === "Pending" && f.ahead !== null && f.free <= f.ahead) {
    out.push({
      reason: "fair_share",
      message: `fair share: ${plural(f.fair.otherKeys, `other ${f.fair.label}'s tasks go`, `other ${f.fair.label}s' tasks go`)} first (${plural(f.fair.othersAhead, "task")} before this one's turn; ${f.fair.ownAhead} of its own ${f.fair.label}'s ahead)`,
    });
  }
  return out;
}

function explainPrimary(f: WaitingFacts): Omit<Waiting, "causes"> {
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
  if (f.status === "Pending" && f.wakeAt !== null && f.debounceKey != null) {
    return {
      ...none,
      reason: "debounced",
      message: `debounced until ${iso(f.wakeAt)} (key ${f.debounceKey}): a newer task with the same key replaces it; then it joins the line of ${f.method}.`,
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
  const slots = f.shard
    ? `${f.running} of the ${f.shard.slots} slots its shard ${f.shard.shard} holds of ${f.method}'s limit of ${f.limit} in use; the other shards hold the rest`
    : f.limit > 0
      ? `${f.running} of ${f.limit} slots of ${f.method} in use`
      : `${f.method} has no limit`;
  if (!f.dispatcherOn) {
    return {
      ...line,
      reason: "dispatcher_suspended",
      message: "The dispatcher is suspended: nothing new starts until a System Manager resumes it.",
    };
  }
  const [hold] = flowCauses({ ...f, fair: null });
  if (hold) {
    const throttle = f.holds?.find((h) => h.kind === "throttled");
    return { ...line, ...hold, until: hold.reason === "throttled" && throttle ? iso(throttle.nextAt) : null };
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
  const [fair] = flowCauses({ ...f, holds: [] });
  if (fair) return { ...line, ...fair };
  return {
    ...line,
    reason: "queued_behind",
    message: `${plural(f.ahead, "task")} of ${f.method} ${f.ahead === 1 ? "is" : "are"} ahead of it (${slots}).`,
  };
}
