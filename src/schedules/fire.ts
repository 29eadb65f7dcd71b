// A schedule's firing: which due slots run (missed-run policy), what the overlap policy does while
// the previous run is active, and one transaction that advances the schedule and names its runs in
// the run log; the runs are then handed to their method's object. Whatever fires twice — an alarm
// retried, the watchdog, a deploy, an evicted object — a slot is handled once: the transaction is
// a compare-and-set on the schedule's version, the run log holds one run per slot, and a run is
// inserted by name (a second insert of it changes nothing). A run the object never received (the
// Worker stopped in between) is handed over again by the watchdog from the run log.
import { getDb, type Db } from "../db/client";
import { firingStatements, getSchedule, type FiringWrite } from "../db/schedules";
import type { ScheduleRow } from "../db/schema";
import { eachObject, enqueueIn, placeTasks } from "../live/client";
import type { NewTask } from "../live/enqueue";
import { DomainError } from "../shared/errors";
import { fromJson } from "../shared/json";
import { log } from "../shared/log";
import { performAction } from "../tasks/actions";
import { buildTask, newTaskName } from "../tasks/enqueue";
import { MethodResolver } from "../tasks/resolve";
import { TaskSpec } from "../tasks/spec";
import { jitterMs, planCatchUp } from "./catch-up";
import { ownerMayRun, stopOwnerless } from "./owner";
import { isoInZone } from "./describe";
import { slotOptionsOf, timingOf } from "./stored";
import { slotSequence, type Timing } from "./timing";

/** While a run waits in the buffer, how often the engine looks whether the live run has ended. */
export const BUFFER_POLL_MS = 5_000;
const ATTEMPTS = 3;

/** The user a schedule's runs are enqueued as: its owner, with the roles it had when saved. */
function ownerOf(row: ScheduleRow) {
  return { name: row.owner, roles: fromJson(row.ownerRoles), key: `schedule:${row.name}` };
}

/**
 * The task of one run of `row` for `slot` (a DomainError when the method or arguments no longer
 * fit), named `name` when the run log already names it.
 */
export async function runTask(
  env: Env,
  row: ScheduleRow,
  slot: number,
  now: number,
  kind: "slot" | "manual",
  resolver: MethodResolver,
  name?: string,
): Promise<NewTask> {
  const jitter = kind === "slot" ? jitterMs(row.frequency, row.name, slot) : 0;
  const spec = TaskSpec.parse({
    ...(row.documentType === null
      ? { method: row.method }
      : { document_type: row.documentType, document_name: row.documentName, document_action: row.documentAction }),
    job_name: row.name,
    arguments: fromJson(row.arguments),
    queue: row.queue,
    timeout: row.timeout,
    max_retries: row.maxRetries,
    retry_delay: row.retryDelay,
    retry_backoff: row.retryBackoff,
    // A `_long` run's start jitter is a delayed start: enqueued on time, started a little later.
    run_at: jitter > 0 ? new Date(slot + jitter).toISOString() : undefined,
    dedupe_key: `schedule:${row.name}:${kind === "slot" ? "" : "manual:"}${new Date(slot).toISOString()}`,
  });
  const method = resolver.resolve(spec);
  const built = buildTask(spec, ownerOf(row), env, now, method, name ?? (await newTaskName(env, method.method, now)));
  // A sharded method: the run's shard is part of its name (the same again for the same name).
  const [task] = await placeTasks(env, [built]);
  return { ...(task as NewTask), priority: row.priority, scheduledJob: row.name, scheduledFor: slot };
}

/** A schedule's runs that are still active (Pending, Queued, Started), from its method's object. */
export function activeRuns(env: Env, row: ScheduleRow): Promise<string[]> {
  const method = row.documentType === null ? row.method : `${row.documentType}.${row.documentAction ?? ""}`;
  return eachObject(env, method, (o) => o.activeRuns(row.name)).then((runs) => runs.flat());
}

/** Hands runs the run log names to their method's object (inserted by name: a repeat changes nothing). */
export async function handOver(env: Env, runs: readonly NewTask[]): Promise<void> {
  const byMethod = new Map<string, NewTask[]>();
  for (const run of runs) byMethod.set(run.method, [...(byMethod.get(run.method) ?? []), run]);
  await Promise.all([...byMethod].map(([method, list]) => enqueueIn(env, method, list)));
}

/** What a firing does with one due slot. */
interface Decision {
  slot: number;
  outcome: "enqueued" | "buffered" | "skipped_overlap" | "skipped";
}

/** What one firing will do, planned from the schedule as read. */
interface Plan {
  decisions: Decision[];
  missed: { count: number; from: number; until: number } | null;
  cancel: string[];
  set: FiringWrite["set"];
}

function plan(row: ScheduleRow, active: string[], now: number): Plan | null {
  const timing = timingOf(row);
  if (timing === null) return null;
  const options = slotOptionsOf(row);
  const catchUp = planCatchUp({
    ...options,
    timing,
    lastSlotMs: row.lastSlot,
    // Slots before the schedule existed are history; slots during a stop are missed (an outage).
    activeSinceMs: row.activeSince,
    nowMs: now,
    missed: row.missed,
    windowMs: row.catchUpWindowS * 1000,
    cap: row.catchUpMax,
  });
  const decisions: Decision[] = [];
  const cancel: string[] = [];
  // Overlap is judged against the runs that were active before this firing; the catch-up runs of
  // one firing (missed = all) do not block one another.
  const live = active.length > 0;
  let buffered = row.bufferedSlot;
  let skipLeft = row.skipNext;
  let runs = row.runs;
  let stop: string | null = null;
  if (buffered !== null && !live) {
    decisions.push({ slot: buffered, outcome: "enqueued" });
    runs++;
    buffered = null;
  }
  for (const slot of catchUp.run) {
    if (skipLeft > 0) {
      skipLeft--;
      decisions.push({ slot, outcome: "skipped" });
    } else if (row.maxRuns !== null && runs >= row.maxRuns) {
      stop = `max_runs (${row.maxRuns}) reached`;
      break;
    } else if (live && row.overlap === "skip") {
      decisions.push({ slot, outcome: "skipped_overlap" });
    } else if (live && row.overlap === "buffer_one") {
      if (buffered === null) {
        buffered = slot;
        decisions.push({ slot, outcome: "buffered" });
      } else {
        decisions.push({ slot, outcome: "skipped_overlap" });
      }
    } else {
      if (live && row.overlap === "cancel_other" && cancel.length === 0) cancel.push(...active);
      decisions.push({ slot, outcome: "enqueued" });
      runs++;
    }
  }
  if (stop === null && row.maxRuns !== null && runs >= row.maxRuns) stop = `max_runs (${row.maxRuns}) reached`;
  const nextSlot = stop === null ? catchUp.nextSlotMs : null;
  const nextFireAt =
    stop !== null ? null : buffered !== null ? Math.min(nextSlot ?? Infinity, now + BUFFER_POLL_MS) : nextSlot;
  return {
    decisions,
    missed: catchUp.missed > 0 ? missedStretch(row, timing, catchUp) : null,
    cancel,
    set: {
      lastSlot: catchUp.lastSlotMs,
      nextSlot,
      nextFireAt,
      bufferedSlot: buffered,
      skipNext: skipLeft,
      ...(decisions.some((d) => d.outcome === "enqueued") ? { lastExecution: now } : {}),
      ...(stop === null ? {} : { stopped: true, stopNote: stop, stoppedAt: now }),
      updatedAt: now,
    },
  };
}

/**
 * The stretch of slots a firing counts as missed, for one run-log row: from the first due slot
 * after the last handled one to just before the first slot that runs (or the latest due slot).
 */
function missedStretch(row: ScheduleRow, timing: Timing, catchUp: ReturnType<typeof planCatchUp>) {
  const handled = Math.max(row.lastSlot ?? -Infinity, row.activeSince);
  const latest = catchUp.lastSlotMs ?? handled;
  const from = slotSequence(timing, slotOptionsOf(row)).after(handled) ?? latest;
  const firstRun = catchUp.run[0];
  return { count: catchUp.missed, from, until: firstRun === undefined ? latest : firstRun - 1 };
}

/**
 * Fires the schedule: handles every slot due at `now` (runs, buffers, skips, counts the missed) in
 * one transaction with the runs' tasks, publishes their events and wakes their method's scheduler.
 * Returns when the engine must next look (null: stopped or ended). Safe to call any number of
 * times, concurrently: a slot is handled once.
 */
export async function fireSchedule(env: Env, name: string, now = Date.now()): Promise<number | null> {
  const db = getDb(env);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const row = await getSchedule(db, name);
    if (!row || row.stopped) return null;
    if (!(await ownerMayRun(env, row))) {
      if (await stopOwnerless(env, row, now)) return null;
      continue; // changed meanwhile: read it again
    }
    const active = await activeRuns(env, row);
    const planned = plan(row, active, now);
    if (planned === null) {
      log.error("schedule has a timing the engine no longer accepts", { schedule: name });
      return null;
    }
    if (planned.decisions.length === 0 && planned.missed === null && planned.set.nextFireAt === row.nextFireAt) {
      return row.nextFireAt;
    }
    if (await commit(env, db, row, planned, now)) {
      if (planned.cancel.length > 0) await cancelRuns(env, planned.cancel, name);
      return planned.set.nextFireAt ?? null;
    }
    // Another firing or a write came first: plan again from what is there now.
  }
  log.warn("schedule firing gave way to concurrent writes", { schedule: name });
  const row = await getSchedule(db, name);
  return row && !row.stopped ? row.nextFireAt : null;
}

/** Cancels the schedule's active runs (overlap cancel_other). */
async function cancelRuns(env: Env, names: string[], schedule: string) {
  await performAction(env, "cancel", names, { message: `replaced by a newer run of ${schedule}` });
}

/** Writes the plan: the schedule moves and the run log grows — or nothing; then the runs are handed over. */
async function commit(env: Env, db: Db, row: ScheduleRow, planned: Plan, now: number): Promise<boolean> {
  const token = crypto.randomUUID();
  const resolver = await MethodResolver.load(
    env,
    planned.decisions.some((d) => d.outcome === "enqueued") ? [row.method, row.documentType] : [],
  );
  const rows: NewTask[] = [];
  const runs: FiringWrite["runs"] = [];
  let refused = 0;
  const base = { kind: "slot" as const, count: 1, slotUntil: null, at: now, lagMs: null, error: null, taskName: null };
  for (const d of planned.decisions) {
    if (d.outcome !== "enqueued") {
      runs.push({ ...base, slot: d.slot, outcome: d.outcome });
      continue;
    }
    try {
      const task = await runTask(env, row, d.slot, now, "slot", resolver);
      rows.push(task);
      runs.push({ ...base, slot: d.slot, outcome: "enqueued", taskName: task.name, lagMs: now - d.slot });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      refused++;
      runs.push({ ...base, slot: d.slot, outcome: "refused", error: error.message });
    }
  }
  if (planned.missed) {
    runs.push({
      ...base,
      slot: planned.missed.from,
      outcome: "missed",
      count: planned.missed.count,
      slotUntil: planned.missed.until,
    });
  }
  const enqueued = rows.length;
  const write: FiringWrite = {
    name: row.name,
    version: row.version,
    token,
    set: { ...planned.set, ...(enqueued > 0 ? { lastTask: rows.at(-1)?.name ?? null } : {}) },
    add: {
      runs: enqueued,
      missed: planned.missed?.count ?? 0,
      skippedOverlap: planned.decisions.filter((d) => d.outcome === "skipped_overlap").length,
      skipped: planned.decisions.filter((d) => d.outcome === "skipped").length,
      failed: refused,
    },
    runs,
  };
  const results = await db.$client.batch<{ task_name: string | null }>(firingStatements(db, write));
  // Did this firing win? Its compare-and-set on the schedule's version changed the row.
  if ((results[0]?.meta.changes ?? 0) === 0) return false;
  // Only runs the run log names for their slot are inserted: a slot that already had a run keeps it.
  const named = new Set((results[1]?.results ?? []).map((r) => r.task_name));
  await handOver(
    env,
    rows.filter((t) => named.has(t.name)),
  );
  for (const run of runs) {
    if (run.outcome === "enqueued") {
      log.info("schedule run enqueued", {
        schedule: row.name,
        slot: isoInZone(run.slot, row.timezone),
        lagMs: run.lagMs,
      });
    }
  }
  return true;
}
