// Flow control at enqueue, inside the method's object and the enqueue's transaction: a new task's
// keys are evaluated once and stored on it (flow_keys); a rate limit ends the excess at once
// (Canceled, flow_outcome rate_limited); a singleton in skip mode ends the newcomer while a task
// with its key is live, in cancel mode it replaces the live ones; a debounce replaces the task
// still waiting out its period with the newcomer, which waits in its stead (the last arguments
// run, at most `timeout` after the burst began). Replaced tasks are canceled like any cancel.
import { argumentsObject } from "../shared/json";
import {
  evaluateKey,
  keyLabel,
  parseFlowKeys,
  type FlowIssue,
  type FlowKeys,
  type FlowOutcome,
  type ResolvedFlow,
} from "../shared/flow";
import { isLive } from "../shared/states";
import type { Live } from "./live";
import type { TaskRecord } from "./store";

/** Thrown (and carried over RPC by its message) when a task's arguments lack a flow control key. */
export const FLOW_KEY_ERROR = "FlowKeyMissing";

/** A task's arguments lack a key path: the enqueue changes nothing. */
export function flowKeyError(issue: FlowIssue): Error {
  return new Error(`${FLOW_KEY_ERROR} ${JSON.stringify(issue)}`);
}

/** The issue a flowKeyError carries (after RPC too), or null for any other error. */
export function flowKeyIssue(error: unknown): FlowIssue | null {
  const message = error instanceof Error ? error.message : "";
  const at = message.indexOf(FLOW_KEY_ERROR + " ");
  if (at < 0) return null;
  try {
    return JSON.parse(message.slice(at + FLOW_KEY_ERROR.length + 1)) as FlowIssue;
  } catch {
    return null;
  }
}

/** What the object answers instead of the inserted tasks when a task's arguments lack a key. */
export interface EnqueueRefused {
  refused: FlowIssue;
}

/** Tasks a newcomer replaces: canceled with `outcome` and `message` once it is in. */
export interface Supersede {
  names: string[];
  outcome: FlowOutcome;
  message: string;
}

const fmt = (ms: number) => new Date(ms).toISOString();

/** Evaluates every key the method's flow control asks for; throws a flowKeyError when one is missing. */
export function flowKeysFor(flow: ResolvedFlow, task: TaskRecord): FlowKeys | null {
  const args = argumentsObject(task.arguments);
  const of = (expression: string) => {
    const value = evaluateKey(expression, { owner: task.owner, arguments: args });
    if (typeof value !== "string") throw flowKeyError(value);
    return value;
  };
  const keys: FlowKeys = {};
  if (flow.fairness === null) keys.f = "";
  else if (flow.fairness.key !== "owner") keys.f = of(flow.fairness.key);
  if (flow.concurrency.length > 0) keys.c = Object.fromEntries(flow.concurrency.map((c) => [c.key, of(c.key)]));
  if (flow.throttle?.key) keys.t = of(flow.throttle.key);
  if (flow.singleton) keys.s = of(flow.singleton.key);
  if (flow.debounce) keys.d = of(flow.debounce.key);
  return Object.keys(keys).length > 0 ? keys : null;
}

/** Rate-limit windows touched by one enqueue call, written once at its end. */
export class RateWindows {
  private readonly touched = new Map<string, { start: number; n: number }>();
  private refused = 0;

  constructor(private readonly live: Live) {}

  /** Whether one more task of `value` is accepted now (and counts it if so). */
  accept(limit: NonNullable<ResolvedFlow["rateLimit"]>, value: string, now: number): { ok: boolean; start: number } {
    let window = this.touched.get(value);
    if (!window) {
      const [row] = this.live.store.exec<{ start: number; n: number }>(
        `SELECT start, n FROM flow_windows WHERE key = ?`,
        value,
      );
      window = row ? { start: row.start, n: row.n } : { start: now, n: 0 };
    }
    if (now >= window.start + limit.periodMs) window = { start: now, n: 0 };
    this.touched.set(value, window);
    if (window.n >= limit.limit) {
      this.refused++;
      return { ok: false, start: window.start };
    }
    window.n++;
    return { ok: true, start: window.start };
  }

  /** Writes the windows this call changed (one row per key), and the count of tasks refused. */
  save(): void {
    if (this.refused > 0) {
      const total = Number(this.live.store.meta("rate_limited") ?? 0) + this.refused;
      this.live.store.setMeta("rate_limited", total);
    }
    for (const [key, w] of this.touched) {
      this.live.store.exec(
        `INSERT INTO flow_windows (key, start, n) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET start = excluded.start, n = excluded.n`,
        key,
        w.start,
        w.n,
      );
    }
  }
}

/** Live tasks here whose stored key `field` ("s" or "d") is `value` (on a partial index). */
function holdersOf(live: Live, field: "s" | "d", value: string): TaskRecord[] {
  const rows = live.store.exec<{ name: string }>(
    `SELECT name FROM tasks WHERE flow_keys ->> '$.${field}' = ? AND flow_keys ->> '$.${field}' IS NOT NULL`,
    value,
  );
  return live.getMany(rows.map((r) => r.name)).filter((t) => isLive(t));
}

/** A task flow control ends at enqueue: Canceled at once, with the reason. */
function ended(task: TaskRecord, outcome: FlowOutcome, message: string, now: number): TaskRecord {
  return { ...task, status: "Canceled", statusMessage: message, flowOutcome: outcome, endedAt: now, wakeAt: null };
}

/**
 * Applies flow control to a new task (already given its keys): the task as it is to be inserted
 * (maybe ended, maybe with a debounce start), and the live tasks it replaces. `fresh` are the
 * tasks this same call inserts before it (a bulk's own burst counts).
 */
export function admitAtEnqueue(
  live: Live,
  task: TaskRecord,
  keys: FlowKeys,
  windows: RateWindows,
  fresh: readonly TaskRecord[],
  now: number,
): { task: TaskRecord; supersede: Supersede | null } {
  const flow = live.settings.flow;
  if (flow.rateLimit) {
    const value = flow.rateLimit.key ? (keyValueOf(task, flow.rateLimit.key) ?? "") : "";
    const { ok, start } = windows.accept(flow.rateLimit, value, now);
    if (!ok) {
      const who = flow.rateLimit.key ? ` for ${keyLabel(flow.rateLimit.key)} = ${value}` : "";
      return {
        task: ended(
          task,
          "rate_limited",
          `Rate limited: ${flow.rateLimit.limit} per ${flow.rateLimit.periodMs / 1000}s${who} were accepted in the window that began at ${fmt(start)}; this task is not run`,
          now,
        ),
        supersede: null,
      };
    }
  }
  if (flow.singleton && keys.s !== undefined) {
    const value = keys.s;
    const live_ = [...holdersOf(live, "s", value), ...fresh.filter((t) => sameKey(t, "s", value) && isLive(t))];
    const label = `${keyLabel(flow.singleton.key)} = ${value}`;
    if (live_.length > 0 && flow.singleton.mode === "skip") {
      const holder = live_[0] as TaskRecord;
      return {
        task: ended(
          task,
          "singleton_skipped",
          `Skipped: task ${holder.name} with the same singleton key (${label}) is live`,
          now,
        ),
        supersede: null,
      };
    }
    if (live_.length > 0) {
      return {
        task,
        supersede: {
          names: live_.map((t) => t.name),
          outcome: "singleton_canceled",
          message: `Replaced by task ${task.name} with the same singleton key (${label})`,
        },
      };
    }
  }
  if (flow.debounce && keys.d !== undefined) {
    const value = keys.d;
    const waiting = [...holdersOf(live, "d", value), ...fresh.filter((t) => sameKey(t, "d", value))].filter(
      (t) => t.status === "Pending" && t.wakeAt !== null && !live.inFlight.has(t.name),
    );
    const first = waiting.reduce((min, t) => Math.min(min, parseFlowKeys(t.flowKeys).df ?? t.createdAt), now);
    const { periodMs, timeoutMs } = flow.debounce;
    const until = Math.min(now + periodMs, timeoutMs === null ? Infinity : first + timeoutMs);
    const withStart: TaskRecord = {
      ...task,
      flowKeys: JSON.stringify({ ...keys, df: first }),
      wakeAt: Math.max(task.wakeAt ?? 0, until),
    };
    return {
      task: withStart,
      supersede:
        waiting.length > 0
          ? {
              names: waiting.map((t) => t.name),
              outcome: "debounced",
              message: `Debounced: task ${task.name} with the same key (${keyLabel(flow.debounce.key)} = ${value}) runs instead, with the last arguments`,
            }
          : null,
    };
  }
  return { task, supersede: null };
}

function sameKey(t: TaskRecord, field: "s" | "d", value: string): boolean {
  return parseFlowKeys(t.flowKeys)[field] === value;
}

/** The value of a key expression for a task whose keys were just evaluated (rate limit keys are not stored). */
function keyValueOf(task: TaskRecord, expression: string): string | null {
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(task.arguments) as Record<string, unknown>;
  } catch {
    return null;
  }
  const value = evaluateKey(expression, { owner: task.owner, arguments: args });
  if (typeof value !== "string") throw flowKeyError(value);
  return value;
}
