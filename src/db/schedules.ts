// Storage of scheduled jobs and their run log: reads, definition writes, and the statements a firing
// runs in one transaction with its tasks (a compare-and-set on the schedule's version first).
import { and, desc, eq, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { inJson } from "./in-json";
import {
  scheduleRuns,
  scheduledJobs,
  tasks,
  type NewScheduleRow,
  type ScheduleRow,
  type ScheduleRunRow,
} from "./schema";

/** The schedule, or null. */
export async function getSchedule(db: Db, name: string): Promise<ScheduleRow | null> {
  const [row] = await db.select().from(scheduledJobs).where(eq(scheduledJobs.name, name));
  return row ?? null;
}

/** A page of schedules by name (an owner's, or all), `cursor` being the last name of the previous page. */
export async function listSchedules(
  db: Db,
  owner: string | undefined,
  limit: number,
  cursor: string | undefined,
): Promise<{ rows: ScheduleRow[]; nextCursor: string | null }> {
  const where: (SQL | undefined)[] = [
    owner === undefined ? undefined : eq(scheduledJobs.owner, owner),
    cursor === undefined ? undefined : sql`${scheduledJobs.name} > ${cursor}`,
  ];
  const rows = await db
    .select()
    .from(scheduledJobs)
    .where(and(...where))
    .orderBy(scheduledJobs.name)
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { rows: page, nextCursor: more ? (page.at(-1)?.name ?? null) : null };
}

/** Inserts a new schedule; null when the name is taken. */
export async function insertSchedule(db: Db, row: NewScheduleRow): Promise<ScheduleRow | null> {
  const [inserted] = await db.insert(scheduledJobs).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

/**
 * Writes a schedule's fields (a definition change, stop, start, skip) if it is still at `version`,
 * bumping the version. Null when another write came first.
 */
export async function updateSchedule(
  db: Db,
  name: string,
  version: number,
  fields: Partial<NewScheduleRow>,
): Promise<ScheduleRow | null> {
  const [row] = await db
    .update(scheduledJobs)
    .set({ ...fields, version: sql`${scheduledJobs.version} + 1` })
    .where(and(eq(scheduledJobs.name, name), eq(scheduledJobs.version, version)))
    .returning();
  return row ?? null;
}

/** Deletes a schedule and its run log (one transaction). */
export async function deleteSchedule(db: Db, name: string): Promise<void> {
  await db.batch([
    db.delete(scheduleRuns).where(eq(scheduleRuns.schedule, name)),
    db.delete(scheduledJobs).where(eq(scheduledJobs.name, name)),
  ]);
}

/**
 * Runs named by a schedule's latest firing (made between `from` and `to`) whose task the log does
 * not have: the watchdog checks whether an object holds them.
 */
export async function runsMissingTasks(db: Db, from: number, to: number) {
  return db.all<{ schedule: string; slot: number; kind: "slot" | "manual"; taskName: string; at: number }>(sql`
    SELECT r.schedule AS schedule, r.slot AS slot, r.kind AS kind, r.task_name AS taskName, r.at AS at
    FROM scheduled_jobs AS s
    JOIN schedule_runs AS r ON r.schedule = s.name AND r.at = s.last_execution
    LEFT JOIN tasks AS t ON t.name = r.task_name
    WHERE s.last_execution BETWEEN ${from} AND ${to} AND r.task_name IS NOT NULL AND t.name IS NULL`);
}

/** An owner's API schedules that are not stopped. */
export async function runningSchedulesOf(db: Db, owner: string): Promise<ScheduleRow[]> {
  return db
    .select()
    .from(scheduledJobs)
    .where(and(eq(scheduledJobs.owner, owner), eq(scheduledJobs.source, "api"), eq(scheduledJobs.stopped, false)));
}

/** Running schedules whose next firing is due at or before `before` (the watchdog's question). */
export async function dueSchedules(db: Db, before: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ name: scheduledJobs.name })
    .from(scheduledJobs)
    .where(
      and(
        sql`${scheduledJobs.stopped} = 0 AND ${scheduledJobs.nextFireAt} IS NOT NULL`,
        lte(scheduledJobs.nextFireAt, before),
      ),
    )
    .orderBy(scheduledJobs.nextFireAt)
    .limit(limit);
  return rows.map((r) => r.name);
}

/** Every code schedule's name and definition hash (to sync the code's definitions). */
export async function codeSchedules(
  db: Db,
): Promise<{ name: string; definitionHash: string | null; version: number }[]> {
  return db
    .select({ name: scheduledJobs.name, definitionHash: scheduledJobs.definitionHash, version: scheduledJobs.version })
    .from(scheduledJobs)
    .where(eq(scheduledJobs.source, "code"));
}

/** A run-log row together with its task's current status. */
export type RunWithStatus = ScheduleRunRow & { taskStatus: string | null };

/** A page of a schedule's run log, newest slot first; `cursor` is the last slot of the previous page. */
export async function listRuns(
  db: Db,
  name: string,
  limit: number,
  cursor: number | undefined,
): Promise<{ rows: RunWithStatus[]; nextCursor: number | null }> {
  const rows = await db
    .select()
    .from(scheduleRuns)
    .where(and(eq(scheduleRuns.schedule, name), cursor === undefined ? undefined : lt(scheduleRuns.slot, cursor)))
    .orderBy(desc(scheduleRuns.slot))
    .limit(limit + 1);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const names = page.map((r) => r.taskName).filter((n): n is string => n !== null);
  const statuses =
    names.length === 0
      ? []
      : await db.select({ name: tasks.name, status: tasks.status }).from(tasks).where(inJson(tasks.name, names));
  const status = new Map(statuses.map((t) => [t.name, t.status]));
  return {
    rows: page.map((r) => ({ ...r, taskStatus: r.taskName === null ? null : (status.get(r.taskName) ?? null) })),
    nextCursor: more ? (page.at(-1)?.slot ?? null) : null,
  };
}

/** What one firing decided, written in the transaction of its tasks. */
export interface FiringWrite {
  name: string;
  /** The version the plan was made from: the compare-and-set. */
  version: number;
  /** A fresh token; only the firing that set it may write its rows. */
  token: string;
  set: Partial<NewScheduleRow>;
  /** Counter increments. */
  add: { runs: number; missed: number; skippedOverlap: number; skipped: number; failed: number };
  /** Run-log rows to insert, or (for a buffered slot that now ran) to replace. */
  runs: (Omit<ScheduleRunRow, "schedule"> & { schedule?: string })[];
}

/**
 * The statements of a firing, as one D1 batch: the schedule row moves only if it is still at the
 * planned version (and takes the token), and the run log is written only when the token is there —
 * so of two firings planned from the same row, exactly one writes anything. The run log holds one
 * row per slot (a buffered one may become enqueued, nothing else changes), so a slot's run is the
 * database's, not the timer's; the run-log statement returns the task names it recorded.
 */
export function firingStatements(db: Db, write: FiringWrite): D1PreparedStatement[] {
  const { add } = write;
  const advance = db
    .update(scheduledJobs)
    .set({
      ...write.set,
      lastToken: write.token,
      runs: sql`${scheduledJobs.runs} + ${add.runs}`,
      missedCount: sql`${scheduledJobs.missedCount} + ${add.missed}`,
      skippedOverlap: sql`${scheduledJobs.skippedOverlap} + ${add.skippedOverlap}`,
      skipped: sql`${scheduledJobs.skipped} + ${add.skipped}`,
      failed: sql`${scheduledJobs.failed} + ${add.failed}`,
      version: sql`${scheduledJobs.version} + 1`,
    })
    .where(and(eq(scheduledJobs.name, write.name), eq(scheduledJobs.version, write.version)))
    .toSQL();
  const statements = [db.$client.prepare(advance.sql).bind(...advance.params)];
  if (write.runs.length > 0) {
    statements.push(
      db.$client
        .prepare(
          `INSERT INTO schedule_runs (schedule, slot, kind, outcome, task_name, count, slot_until, at, lag_ms, error)
           SELECT ?1, r.value ->> 'slot', r.value ->> 'kind', r.value ->> 'outcome', r.value ->> 'taskName',
                  r.value ->> 'count', r.value ->> 'slotUntil', r.value ->> 'at', r.value ->> 'lagMs', r.value ->> 'error'
           FROM json_each(?2) AS r
           WHERE EXISTS (SELECT 1 FROM scheduled_jobs WHERE name = ?1 AND last_token = ?3)
           ON CONFLICT (schedule, slot, kind) DO UPDATE SET
             outcome = excluded.outcome, task_name = excluded.task_name, at = excluded.at, lag_ms = excluded.lag_ms
           WHERE schedule_runs.outcome = 'buffered'
           RETURNING task_name`,
        )
        .bind(write.name, JSON.stringify(write.runs), write.token),
    );
  }
  return statements;
}

/** Schedules shown as overdue: running, and their next firing more than `graceMs` late. */
export async function overdueSchedules(db: Db, now: number, graceMs: number) {
  return db
    .select({ name: scheduledJobs.name, nextFireAt: scheduledJobs.nextFireAt, owner: scheduledJobs.owner })
    .from(scheduledJobs)
    .where(
      and(
        sql`${scheduledJobs.stopped} = 0 AND ${scheduledJobs.nextFireAt} IS NOT NULL`,
        lt(scheduledJobs.nextFireAt, now - graceMs),
      ),
    );
}

/** Deletes code schedules no longer defined in code, with their run logs. */
export async function deleteSchedules(db: Db, names: string[]): Promise<void> {
  if (names.length === 0) return;
  await db.batch([
    db.delete(scheduleRuns).where(inArray(scheduleRuns.schedule, names)),
    db.delete(scheduledJobs).where(inArray(scheduledJobs.name, names)),
  ]);
}
