// Managing schedules: create, replace, delete, stop (with a note), start, skip the next slots, run
// now, and syncing the code's schedules. Every change re-arms the schedule's timer.
import { getDb } from "../db/client";
import {
  codeSchedules as storedCodeSchedules,
  deleteSchedule,
  deleteSchedules,
  firingStatements,
  getSchedule,
  insertSchedule,
  updateSchedule,
} from "../db/schedules";
import type { ScheduleRow } from "../db/schema";
import { conflict, notFound } from "../shared/errors";
import { canonicalJson, fromJson, sha256Hex, toJson } from "../shared/json";
import { describeError, log } from "../shared/log";
import { canSee, type User } from "../shared/user";
import { MethodResolver } from "../tasks/resolve";
import { handOver, runTask } from "./fire";
import { requireOwnerKey } from "./owner";
import { codeSchedules } from "./registry";
import { definitionOf } from "./definition";
import type { ScheduleSpec } from "./spec";

/** The remote targets a schedule's method names (none for code methods). */
const resolverFor = (env: Env, spec: ScheduleSpec) => MethodResolver.load(env, [spec.method, spec.document_type]);

/** Who code schedules run as. */
const SYSTEM: User = { name: "Administrator", roles: ["System Manager"], key: "code" };

/** Sets the schedule's timer to its stored next firing. A failure is logged: the watchdog covers it. */
export async function armTimer(env: Env, name: string): Promise<void> {
  try {
    await env.SCHEDULE_TIMER.getByName(name).arm();
  } catch (error) {
    log.error("could not arm schedule timer; the minute cron will fire it", {
      schedule: name,
      ...describeError(error),
    });
  }
}

/** The schedule if `user` may see it (its owner or a System Manager), else not_found. */
export async function visibleSchedule(env: Env, user: User, name: string): Promise<ScheduleRow> {
  const row = await getSchedule(getDb(env), name);
  if (!row || !canSee(user, row.owner)) throw notFound(`scheduled job ${name}`);
  return row;
}

/** Creates a schedule for `user` (validated as `definitionOf` says); conflict when the name is taken. */
export async function createSchedule(env: Env, user: User, spec: ScheduleSpec, now = Date.now()): Promise<ScheduleRow> {
  const { definition, nextSlot } = definitionOf(env, spec, user, now, await resolverFor(env, spec));
  const name = spec.name ?? `sched-${crypto.randomUUID().slice(0, 8)}`;
  const row = await insertSchedule(getDb(env), {
    ...definition,
    name,
    source: "api",
    owner: user.name,
    ownerRoles: toJson([...user.roles]),
    activeSince: now,
    nextSlot,
    nextFireAt: nextSlot,
    createdAt: now,
    updatedAt: now,
  });
  if (!row) throw conflict(`a scheduled job named ${name} already exists`);
  await armTimer(env, name);
  return row;
}

/**
 * Replaces an API schedule's definition, keeping its counters and run log. The new timing starts
 * now: slots of the new timing before the change are not missed runs.
 */
export async function replaceSchedule(
  env: Env,
  row: ScheduleRow,
  spec: ScheduleSpec,
  now = Date.now(),
): Promise<ScheduleRow> {
  if (row.source === "code")
    throw conflict(`${row.name} is defined in code; change it there (you can stop or start it)`);
  const owner: User = { name: row.owner, roles: fromJson(row.ownerRoles), key: "schedule" };
  const { definition, nextSlot } = definitionOf(env, spec, owner, now, await resolverFor(env, spec));
  const updated = await updateSchedule(getDb(env), row.name, row.version, {
    ...definition,
    activeSince: now,
    lastSlot: null,
    bufferedSlot: null,
    nextSlot,
    nextFireAt: row.stopped ? null : nextSlot,
    updatedAt: now,
  });
  if (!updated) throw conflict(`scheduled job ${row.name} changed meanwhile; read it again and retry`);
  await armTimer(env, row.name);
  return updated;
}

/** Deletes an API schedule (its runs stay, as ordinary tasks); code schedules are refused. */
export async function removeSchedule(env: Env, row: ScheduleRow): Promise<void> {
  if (row.source === "code") {
    throw conflict(`${row.name} is defined in code and cannot be deleted through the API; stop it instead`);
  }
  await deleteSchedule(getDb(env), row.name);
  await armTimer(env, row.name);
}

async function write(env: Env, row: ScheduleRow, fields: Parameters<typeof updateSchedule>[3]): Promise<ScheduleRow> {
  const updated = await updateSchedule(getDb(env), row.name, row.version, { ...fields, updatedAt: Date.now() });
  if (!updated) throw conflict(`scheduled job ${row.name} changed meanwhile; read it again and retry`);
  return updated;
}

/** Stops the schedule (with a note); its slots are not handled until it is started again. */
export async function stopSchedule(env: Env, row: ScheduleRow, note: string | null, user: User): Promise<ScheduleRow> {
  if (row.stopped) return row;
  const stopped = await write(env, row, {
    stopped: true,
    stopNote: note ?? `stopped by ${user.name}`,
    stoppedAt: Date.now(),
    nextFireAt: null,
  });
  await armTimer(env, row.name);
  return stopped;
}

/**
 * Starts a stopped schedule. The slots it missed while stopped are an outage: the missed policy
 * decides (once: one catch-up run; all: one per slot; skip: none), and they are counted either way.
 */
export async function startSchedule(env: Env, row: ScheduleRow): Promise<ScheduleRow> {
  if (!row.stopped) return row;
  await requireOwnerKey(env, row);
  const started = await write(env, row, { stopped: false, stopNote: null, stoppedAt: null, nextFireAt: Date.now() });
  try {
    await env.SCHEDULE_TIMER.getByName(row.name).fire();
  } catch (error) {
    log.error("could not fire the started schedule; the minute cron will", {
      schedule: row.name,
      ...describeError(error),
    });
  }
  return (await getSchedule(getDb(env), row.name)) ?? started;
}

/** Skips the schedule's next `count` slots (added to any already being skipped). */
export function skipSlots(env: Env, row: ScheduleRow, count: number): Promise<ScheduleRow> {
  return write(env, row, { skipNext: row.skipNext + count });
}

/**
 * Runs the schedule now, once, without moving its cadence (a manual run, counted in runs and in
 * the run log). Returns the task's name.
 */
export async function runNow(env: Env, row: ScheduleRow): Promise<string> {
  await requireOwnerKey(env, row);
  const db = getDb(env);
  const now = Date.now();
  const resolver = await MethodResolver.load(env, [row.method, row.documentType]);
  const task = await runTask(env, row, now, now, "manual", resolver);
  const token = crypto.randomUUID();
  const statements = firingStatements(db, {
    name: row.name,
    version: row.version,
    token,
    set: { lastExecution: now, lastTask: task.name, updatedAt: now },
    add: { runs: 1, missed: 0, skippedOverlap: 0, skipped: 0, failed: 0 },
    runs: [
      {
        slot: now,
        kind: "manual",
        outcome: "manual",
        taskName: task.name,
        count: 1,
        slotUntil: null,
        at: now,
        lagMs: 0,
        error: null,
      },
    ],
  });
  const [advanced] = await db.$client.batch(statements);
  if ((advanced?.meta.changes ?? 0) === 0) throw conflict(`scheduled job ${row.name} changed meanwhile; try again`);
  await handOver(env, [task]);
  return task.name;
}

/**
 * Brings the code's schedules into D1: new ones are inserted (stopped if their definition says so),
 * changed definitions replace the stored ones (state and counters kept), removed ones are deleted.
 * Cheap when nothing changed: one read and a hash per schedule.
 */
export async function syncCodeSchedules(env: Env, now = Date.now()): Promise<{ changed: string[]; removed: string[] }> {
  const db = getDb(env);
  const stored = new Map((await storedCodeSchedules(db)).map((s) => [s.name, s]));
  const changed: string[] = [];
  for (const def of codeSchedules(env)) {
    const { stopped, ...spec } = def;
    delete spec.demo;
    const hash = await sha256Hex(canonicalJson(def));
    const known = stored.get(def.name);
    stored.delete(def.name);
    if (known?.definitionHash === hash) continue;
    const { definition, nextSlot } = definitionOf(env, spec, SYSTEM, now, await resolverFor(env, spec));
    if (!known) {
      await insertSchedule(db, {
        ...definition,
        name: def.name,
        source: "code",
        owner: SYSTEM.name,
        ownerRoles: toJson([...SYSTEM.roles]),
        definitionHash: hash,
        activeSince: now,
        stopped: stopped ?? false,
        ...(stopped ? { stopNote: "defined stopped in code; start it to run" } : {}),
        nextSlot,
        nextFireAt: stopped ? null : nextSlot,
        createdAt: now,
        updatedAt: now,
      });
    } else {
      const row = await getSchedule(db, def.name);
      if (row) {
        await updateSchedule(db, def.name, row.version, {
          ...definition,
          definitionHash: hash,
          activeSince: now,
          lastSlot: null,
          bufferedSlot: null,
          nextSlot,
          nextFireAt: row.stopped ? null : nextSlot,
          updatedAt: now,
        });
      }
    }
    changed.push(def.name);
  }
  const removed = [...stored.keys()];
  await deleteSchedules(db, removed);
  for (const name of [...changed, ...removed]) await armTimer(env, name);
  if (changed.length > 0 || removed.length > 0) log.info("code schedules synced", { changed, removed });
  return { changed, removed };
}

const synced = new WeakMap<object, Promise<unknown>>();

/** Syncs the code's schedules once per isolate (before the first scheduled-jobs request). */
export function ensureCodeSchedulesSynced(env: Env): Promise<unknown> {
  let done = synced.get(env);
  if (!done) {
    done = syncCodeSchedules(env).catch((error: unknown) => {
      synced.delete(env);
      throw error;
    });
    synced.set(env, done);
  }
  return done;
}
