// New tasks in the method's object: inserted Pending (or held back, for a bulk enqueue that spans
// objects, until its commit), each with a Pending change for the log. A live task of the same
// owner holding the same dedupe_key is returned instead of a new one — dedupe is per method.
import { applyAction } from "./actions";
import type { FlowKeys } from "../shared/flow";
import { admitAtEnqueue, flowKeyIssue, flowKeysFor, RateWindows, type Supersede } from "./flow-enqueue";
import type { Live } from "./live";
import type { TaskRecord } from "./store";

/** A task to insert, as the Worker built it: `priority` null means the task type's. */
export type NewTask = Omit<TaskRecord, "priority" | "seq"> & { priority: number | null };

/** A shard's answer to tasks another shard should hold (the caller placed them by old settings). */
export interface EnqueueMisplaced {
  misplaced: true;
}

/** What became of each task asked for, in order. */
export interface Inserted {
  task: TaskRecord;
  /** False: a live task with the same dedupe_key (or this very name, from a retried call) is returned. */
  created: boolean;
}

/**
 * Inserts `tasks` in one transaction. Idempotent by name (a call retried after a lost answer
 * inserts nothing twice). With `hold`, the tasks stay invisible and out of line until `release`.
 */
export function insertTasks(
  live: Live,
  tasks: readonly NewTask[],
  hold: string | null,
  now: number,
  /** Collects the running attempts that tasks replaced (singleton cancel) stopped. */
  stopped: string[] = [],
): Inserted[] {
  const results: Inserted[] = [];
  const fresh: TaskRecord[] = [];
  const windows = new RateWindows(live);
  const supersedes: Supersede[] = [];
  const existing = new Map(live.store.readTasks(tasks.map((t) => t.name)).map((row) => [row.name, row]));
  const keys = new Map<string, TaskRecord>();
  for (const spec of tasks) {
    const known = existing.get(spec.name);
    if (known) {
      const { hold: _hold, changedAt: _changedAt, ...record } = known;
      results.push({ task: live.get(spec.name) ?? record, created: false });
      continue;
    }
    if (spec.dedupeKey !== null) {
      const key = `${spec.owner}\u0000${spec.dedupeKey}`;
      const holder = keys.get(key) ?? live.dedupeHolder(spec.owner, spec.dedupeKey);
      if (holder) {
        results.push({ task: holder, created: false });
        continue;
      }
    }
    const base: TaskRecord = { ...spec, priority: spec.priority ?? live.settings.priority, seq: live.nextSeq(0) };
    // Flow control: keys evaluated once (a missing key path throws: nothing is inserted) — but a
    // scheduled job's run, which no caller waits for, ends at once saying why (no retry loop).
    let flowKeys: FlowKeys | null;
    try {
      flowKeys = flowKeysFor(live.settings.flow, base);
    } catch (error) {
      const issue = flowKeyIssue(error);
      if (issue === null || base.scheduledJob === null) throw error;
      const task: TaskRecord = {
        ...base,
        status: "Canceled",
        statusMessage: `Not run: ${issue.message}`,
        flowOutcome: "key_missing",
        endedAt: now,
        wakeAt: null,
      };
      fresh.push(task);
      results.push({ task, created: true });
      continue;
    }
    const keyed: TaskRecord = { ...base, flowKeys: flowKeys === null ? null : JSON.stringify(flowKeys) };
    const { rateLimit, singleton, debounce } = live.settings.flow;
    const decided =
      rateLimit || singleton || debounce
        ? admitAtEnqueue(live, keyed, flowKeys ?? {}, windows, fresh, now)
        : { task: keyed, supersede: null };
    const task = decided.task;
    if (decided.supersede) supersedes.push(decided.supersede);
    if (task.dedupeKey !== null) keys.set(`${task.owner}\u0000${task.dedupeKey}`, task);
    fresh.push(task);
    results.push({ task, created: true });
  }
  if (hold !== null && fresh.length > 0 && !live.holds.has(hold)) {
    live.holds.set(hold, now);
    live.persistHolds();
  }
  windows.save();
  live.store.insertTasks(fresh, hold, now);
  if (hold === null) {
    for (const task of fresh) {
      live.markDirty(task, now);
      live.enterLine(task);
    }
    replace(live, supersedes, now, stopped);
  } else if (supersedes.length > 0) {
    // A held bulk replaces nothing until it commits (releaseHold looks again then).
    live.store.setMeta(`supersede:${hold}`, JSON.stringify(supersedes));
  }
  return results;
}

/** Cancels the tasks newcomers replace (debounce, singleton cancel), each with its reason. */
function replace(live: Live, supersedes: readonly Supersede[], now: number, stopped: string[]): void {
  for (const s of supersedes) {
    const done = applyAction(live, "cancel", s.names, { message: s.message, flowOutcome: s.outcome }, now);
    stopped.push(...done.stopped);
  }
}

/** Releases a bulk enqueue's held tasks: they join the line and the log. False when not held here. */
export function releaseHold(live: Live, hold: string, now: number, stopped: string[] = []): boolean {
  if (!live.holds.delete(hold)) return false;
  live.persistHolds();
  const rows = live.store.exec<{ name: string }>(`SELECT name FROM tasks WHERE hold = ?`, hold);
  for (const task of live.getMany(rows.map((r) => r.name))) {
    live.markDirty(task, now);
    live.enterLine(task);
  }
  const pending = live.store.metaText(`supersede:${hold}`);
  if (pending !== null) {
    replace(live, JSON.parse(pending) as Supersede[], now, stopped);
    live.store.exec(`DELETE FROM meta WHERE key = ?`, `supersede:${hold}`);
  }
  return true;
}

/** Drops a bulk enqueue's held tasks (the call never committed). */
export function dropHold(live: Live, hold: string): void {
  if (!live.holds.delete(hold)) return;
  live.store.exec(`DELETE FROM tasks WHERE hold = ?`, hold);
  live.store.exec(`DELETE FROM meta WHERE key = ?`, `supersede:${hold}`);
  live.persistHolds();
}
