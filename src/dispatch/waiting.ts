// "Why is this task waiting?": the facts the admission rule gives (db/waiting.ts) turned into one
// reason with a sentence for people — the console's waiting panel and GET /api/v1/tasks/{name}/waiting.
import { getDb } from "../db/client";
import { waitingFacts, type WaitingFacts } from "../db/waiting";
import type { WaitingReason } from "../shared/states";

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
      message: `A slot is free (${slots}); the scheduler of ${f.method} admits it at its next pass.`,
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

/** Why task `name` waits (the caller has checked it may see the task), or null if it is gone. */
export async function whyWaiting(env: Env, name: string): Promise<Waiting | null> {
  const facts = await waitingFacts(getDb(env), name);
  return facts === null ? null : explainWaiting(facts);
}
