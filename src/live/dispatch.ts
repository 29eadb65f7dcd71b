// Admission (Pending → Queued, in line order, within the method's limit and the dispatcher
// switch), the consumer's claim (Queued → Started, made durable in one claims row per call), and
// the object's timers: delayed starts, scheduled retries, and leases that ran out.
import { splitRemote } from "../shared/method-names";
import type { QueueName } from "../shared/states";
import type { Attempt } from "./attempt";
import { Live } from "./live";
import type { FairEntry } from "./fair-line";
import { FlowGate } from "./flow-gate";
import { failAttempt } from "./outcome";
import type { TaskRecord } from "./store";

/**
 * Admits as many tasks as the admission rule allows (at most `cap`): the method's limit and the
 * dispatcher switch, then the fair line's order (fair-line.ts) past what per-key limits,
 * singletons and throttles hold back (flow-gate.ts). Each admitted task gets the attempt number
 * after its row's, a Queued lease, and a Queued change. Admission is not written to storage —
 * see attempt.ts for why that is safe. Returns the new attempts, in admission order.
 */
export function admit(live: Live, now: number, cap: number): Attempt[] {
  live.throttleWakeAt = null;
  const free = live.freeSlots(cap);
  if (free === 0) return [];
  const gate = new FlowGate(live.settings.flow, live.throttles, now, live.runningKeys());
  const admitted: Attempt[] = [];
  const refilled = new Set<string>();
  while (admitted.length < free) {
    const entry = live.line.pick(gate.blocks, refilled);
    if (entry === null) break;
    live.line.remove(entry.name);
    const row = live.store.readTask(entry.name);
    // The head may name a task that left the line meanwhile; it is simply passed over.
    if (!row || live.isHeld(row) || row.status !== "Pending" || row.wakeAt !== null || live.inFlight.has(row.name)) {
      continue;
    }
    live.line.charge(entry.key, entry.lane);
    gate.take(entry.keys);
    live.noteFlight(row.name, entry.keys);
    const attempt: Attempt = {
      name: row.name,
      attempt: row.attempt + 1,
      queue: row.queue,
      status: "Queued",
      queuedAt: now,
      leaseUntil: now + live.cfg.queuedLeaseMs,
      claim: null,
      startedAt: null,
      jobId: null,
      endedAt: null,
      timeTaken: null,
      result: null,
      errorMessage: null,
      statusMessage: null,
      debugLog: null,
      progress: null,
      wakeAt: null,
      seq: live.nextSeq(row.seq),
    };
    live.inFlight.set(row.name, attempt);
    live.markDirty(live.get(row.name), now);
    admitted.push(attempt);
  }
  // Held back by a throttle only: the alarm wakes the object when the next start is allowed.
  if (admitted.length < free) live.throttleWakeAt = gate.nextAt;
  return admitted;
}

/**
 * How many more tasks admission would start now if the method's limit allowed it (at most `max`):
 * the same walk of the fair line past per-key limits, singletons and throttles, admitting nothing
 * and charging no key. A sharded method's object asks its slot pool for this many (slots.ts).
 */
export function admissible(live: Live, now: number, max: number): number {
  if (!live.settings.dispatcherOn || max <= 0) return 0;
  const gate = new FlowGate(live.settings.flow, live.throttles, now, live.runningKeys());
  const seen = new Set<string>();
  const refilled = new Set<string>();
  const blocked = (entry: FairEntry) => seen.has(entry.name) || gate.blocks(entry);
  while (seen.size < max) {
    const entry = live.line.pick(blocked, refilled);
    if (entry === null) break;
    const row = live.store.readTask(entry.name);
    if (!row || live.isHeld(row) || row.status !== "Pending" || row.wakeAt !== null || live.inFlight.has(row.name)) {
      // Not dispatchable any more: it leaves the line, as admission would do.
      live.line.remove(entry.name);
      continue;
    }
    seen.add(entry.name);
    gate.hold(entry.keys);
  }
  return seen.size;
}

/** One delivered task of a queue message. */
export interface Delivery {
  name: string;
  attempt: number;
  /** The queue message's id (becomes the task's job_id). */
  id: string;
}

/**
 * Queued → Started for every delivery whose task is Queued in exactly that attempt; the rest (a
 * duplicate, a stale or late message, a canceled task) are skipped. The claimed attempts are
 * written as one claims row before the answer leaves, so after any restart they are still known
 * to be running: no attempt runs twice. Returns the claimed tasks as they now are.
 */
export function claim(live: Live, deliveries: readonly Delivery[], now: number): TaskRecord[] {
  const id = crypto.randomUUID();
  const claimed: TaskRecord[] = [];
  for (const d of deliveries) {
    const attempt = live.inFlight.get(d.name);
    if (!attempt || attempt.attempt !== d.attempt || attempt.status !== "Queued") continue;
    const row = live.store.readTask(d.name);
    if (!row) continue;
    Object.assign(attempt, {
      status: "Started",
      startedAt: now,
      jobId: d.id,
      leaseUntil: now + row.timeout * 1000 + live.cfg.leaseGraceMs,
      claim: id,
      progress: null,
      debugLog: null,
      statusMessage: null,
      seq: live.nextSeq(attempt.seq),
    } satisfies Partial<Attempt>);
    live.ref(id, d.name);
    live.counters.add("started");
    live.counters.observe("wait", (now - Math.min(row.changedAt, attempt.queuedAt)) / 1000);
    const task = live.get(d.name);
    if (task) {
      live.markDirty(task, now);
      claimed.push(task);
    }
  }
  live.saveClaim(id);
  return claimed;
}

/** How long a bulk enqueue's held tasks wait for its commit before the object asks. */
export const HOLD_CHECK_MS = 60_000;

/** The earliest timer: a lease, a scheduled retry, a delayed start, a held bulk to check. */
export function nextTimer(live: Live): number | null {
  let next: number | null = null;
  const consider = (at: number | null) => {
    if (at !== null && (next === null || at < next)) next = at;
  };
  for (const a of live.inFlight.values()) {
    consider(a.status === "Queued" || a.status === "Started" ? a.leaseUntil : a.wakeAt);
  }
  const [row] = live.store.exec<{ at: number | null }>(
    `SELECT min(wake_at) AS at FROM tasks WHERE wake_at IS NOT NULL`,
  );
  consider(row?.at ?? null);
  for (const since of live.holds.values()) consider(since + HOLD_CHECK_MS);
  for (const until of live.stopping.values()) consider(until);
  consider(live.throttleWakeAt);
  return next;
}

/** What firing the timers asks of the object beyond its own state. */
export interface FiredTimers {
  /** Queued attempts whose message is presumed lost: send them again. */
  resend: Attempt[];
  /** Attempts failed because their worker was presumed lost (their consumers may still listen). */
  lost: string[];
  /** Holds whose commit must be looked up. */
  holds: string[];
  /** Batches whose final failure asks the rest of the batch to pause (pause_rest). */
  pauseBatches: string[];
}

/**
 * Fires every timer due at `now`: re-sends lost messages (same attempt), fails attempts whose
 * worker is presumed lost (and applies the retry rules), releases delayed starts and due retries
 * into the line.
 */
export function fireTimers(live: Live, now: number): FiredTimers {
  const fired: FiredTimers = { resend: [], lost: [], holds: [], pauseBatches: [] };
  for (const a of [...live.inFlight.values()]) {
    if (a.status === "Queued" && a.leaseUntil !== null && a.leaseUntil <= now) {
      a.leaseUntil = now + live.cfg.queuedLeaseMs;
      fired.resend.push(a);
    } else if (a.status === "Started" && a.leaseUntil !== null && a.leaseUntil <= now) {
      const row = live.store.readTask(a.name);
      const remote = row !== null && splitRemote(row.method) !== null;
      const failed = failAttempt(
        live,
        a,
        {
          error: remote
            ? `WorkerLost: no outcome or callback was recorded before the lease ran out (timeout ${row.timeout}s + grace; after a 202, one heartbeat interval); the remote attempt is presumed lost`
            : `WorkerLost: no outcome was recorded within timeout (${row?.timeout ?? "?"}s) + grace; the worker is presumed lost`,
          permanent: false,
        },
        null,
        now,
      );
      fired.lost.push(a.name);
      live.counters.add("lost");
      if (failed.pauseBatch !== null) fired.pauseBatches.push(failed.pauseBatch);
    } else if (a.status === "Failed" && a.wakeAt !== null && a.wakeAt <= now) {
      const task = live.get(a.name);
      if (task) retryDue(live, task, now);
    }
  }
  const due = live.store.exec<{ name: string }>(
    `SELECT name FROM tasks WHERE wake_at IS NOT NULL AND wake_at <= ?`,
    now,
  );
  for (const task of live.getMany(due.map((r) => r.name))) {
    if (task.status === "Pending" && task.wakeAt !== null) {
      const started = { ...task, wakeAt: null, seq: live.nextSeq(task.seq) };
      live.writeRow(started, now);
      live.markDirty(started, now);
      live.enterLine(started);
    } else if (task.status === "Failed" && task.wakeAt !== null) {
      retryDue(live, task, now);
    }
  }
  for (const [token, since] of live.holds) if (since + HOLD_CHECK_MS <= now) fired.holds.push(token);
  // A canceled attempt that never reported what it left: the task may now leave the object.
  for (const [name, until] of [...live.stopping]) {
    if (until > now) continue;
    live.stopping.delete(name);
    const task = live.get(name);
    if (task) {
      const after = { ...task, leaseUntil: null, seq: live.nextSeq(task.seq) };
      live.writeRow(after, now);
      live.markDirty(after, now);
    }
  }
  return fired;
}

/** Fields reset whenever a task goes back to Pending for another attempt. */
export const clearedRun = {
  wakeAt: null,
  queuedAt: null,
  startedAt: null,
  endedAt: null,
  timeTaken: null,
  leaseUntil: null,
  result: null,
  statusMessage: null,
  jobId: null,
} as const;

/** A scheduled retry is due: Failed → Pending, a retry counted; the last error stays visible. */
function retryDue(live: Live, task: TaskRecord, now: number): void {
  const pending: TaskRecord = {
    ...task,
    status: "Pending",
    retryCount: task.retryCount + 1,
    ...clearedRun,
    seq: live.nextSeq(task.seq),
  };
  live.writeRow(pending, now);
  live.markDirty(pending, now);
  live.enterLine(pending);
  live.counters.add("retried");
}

/** Queue messages for admitted attempts: per queue, at most `perMessage` tasks each. */
export function messagesFor(
  attempts: readonly Pick<Attempt, "name" | "attempt" | "queue">[],
  perMessage: (queue: QueueName) => number,
): { queue: QueueName; tasks: { name: string; attempt: number }[] }[] {
  const byQueue = new Map<QueueName, { name: string; attempt: number }[]>();
  for (const a of attempts) {
    const list = byQueue.get(a.queue) ?? [];
    list.push({ name: a.name, attempt: a.attempt });
    byQueue.set(a.queue, list);
  }
  const messages: { queue: QueueName; tasks: { name: string; attempt: number }[] }[] = [];
  for (const [queue, list] of byQueue) {
    const size = Math.max(1, perMessage(queue));
    for (let i = 0; i < list.length; i += size) messages.push({ queue, tasks: list.slice(i, i + size) });
  }
  return messages;
}
