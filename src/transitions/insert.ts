// New tasks: one (with dedupe), many in one transaction (a bulk batch), and a report job's task
// together with its job row. Every new task starts Pending; order_key gives it its place.
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { dbErrorMentions } from "../db/errors";
import { batches, reportJobs, taskTypes, tasks, type NewReportJobRow, type NewTaskRow } from "../db/schema";
import { conflict } from "../shared/errors";
import type { FailurePolicy } from "../shared/states";
import { taskWhere } from "../shared/states";
import { admitsNow } from "./admission";
import { EVENT_RETURNING, rowWithWatch, type EventRow, type WatchedTask } from "./columns";

/** A task row for the bulk insert: `priority` null means "the task type's", resolved in the INSERT. */
export type BulkTaskRow = Omit<NewTaskRow, "priority"> & { priority: number | null };

/** The task type's priority, for a task whose spec gives none (evaluated inside the INSERT). */
function typePriority(method: string): SQL {
  return sql`coalesce((SELECT ${taskTypes.priority} FROM ${taskTypes} WHERE ${taskTypes.method} = ${method}), 0)`;
}

/**
 * The order_key of a task joining batch `batchId`: the batch's, or — for the batch's first task,
 * whose insert creates the batch row (trigger) — the task's own name.
 */
function batchOrderKey(batchId: string, name: string): SQL {
  return sql`coalesce((SELECT ${batches.orderKey} FROM ${batches} WHERE ${batches.batchId} = ${batchId}), ${name})`;
}

const anotherOwnersBatch = (batchId: string | null | undefined) =>
  conflict(`batch ${batchId} belongs to another user; choose another batch_id`);

const live = sql.raw(taskWhere.live());

/**
 * Inserts a Pending task, or — when a live task of the same owner holds the same dedupe_key —
 * returns that task instead (`created: false`). `explicitPriority` false means the task type's
 * priority applies. `admitsNow` says whether a scheduler pass would admit something at once.
 */
export async function insertTask(
  db: Db,
  row: NewTaskRow,
  explicitPriority: boolean,
): Promise<{ task: WatchedTask; created: boolean; admitsNow: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const values = {
      ...row,
      ...(explicitPriority ? {} : { priority: typePriority(row.method) }),
      ...(row.batchId ? { orderKey: batchOrderKey(row.batchId, row.name) } : {}),
    };
    let inserted: (WatchedTask & { admitsNow: number }) | undefined;
    try {
      [[inserted]] = await db.batch([
        db
          .insert(tasks)
          .values(values)
          .onConflictDoNothing()
          .returning({ ...rowWithWatch, admitsNow }),
      ]);
    } catch (error) {
      if (dbErrorMentions(error, "batch_id belongs to another owner")) throw anotherOwnersBatch(row.batchId);
      throw error;
    }
    if (inserted) {
      const { admitsNow: admits, ...task } = inserted;
      return { task, created: true, admitsNow: admits === 1 };
    }
    if (row.dedupeKey === null || row.dedupeKey === undefined) break;
    // The conflict was the dedupe index: read its holder, with the index's own condition.
    const [existing] = await db
      .select()
      .from(tasks)
      .where(sql`${tasks.owner} = ${row.owner} AND ${tasks.dedupeKey} = ${row.dedupeKey} AND ${live}`);
    if (existing)
      return { task: { ...existing, watchUntil: null, allWatchUntil: null }, created: false, admitsNow: false };
    // The live duplicate ended between the two statements: try the insert again.
  }
  throw new Error(`could not insert task ${row.name}`);
}

/** Largest JSON parameter per statement (D1 caps a string value at 2,000,000 bytes). */
const CHUNK_BYTES = 1_000_000;
const TASK_COLUMNS = getTableColumns(tasks);

/**
 * One INSERT … SELECT over json_each of a single JSON parameter (D1 binds at most 100 parameters
 * per statement; task rows have ~40 columns). A null priority is the task type's; order_key is
 * the batch's, whose row the bulk insert writes first in the same transaction.
 */
function insertChunk(db: Db, rows: BulkTaskRow[], guard: BulkExtra["guard"]): D1PreparedStatement {
  const keys = Object.keys(rows[0] ?? {}).filter((key): key is keyof typeof TASK_COLUMNS => key in TASK_COLUMNS);
  const column = (key: keyof typeof TASK_COLUMNS) => TASK_COLUMNS[key].name;
  const values = keys.map((key) => {
    const extract = `j ->> '${column(key)}'`;
    if (key === "priority")
      return `coalesce(${extract}, (SELECT priority FROM task_types WHERE method = j ->> 'method'), 0)`;
    if (key === "orderKey")
      return `coalesce((SELECT order_key FROM batches WHERE batch_id = j ->> 'batch_id'), ${extract})`;
    return extract;
  });
  const json = JSON.stringify(
    rows.map((row) =>
      Object.fromEntries(
        keys.map((key) => {
          const value = row[key];
          return [column(key), typeof value === "boolean" ? Number(value) : (value ?? null)];
        }),
      ),
    ),
  );
  const text = `INSERT INTO tasks (${keys.map(column).join(", ")})
    SELECT ${values.join(", ")} FROM (SELECT value AS j FROM json_each(?1)) WHERE ${guard.sql} ${EVENT_RETURNING}`;
  return db.$client.prepare(text).bind(json, ...guard.params);
}

/** Splits rows into chunks whose JSON stays under the per-value limit. */
function chunks(rows: BulkTaskRow[]): BulkTaskRow[][] {
  const out: BulkTaskRow[][] = [];
  let current: BulkTaskRow[] = [];
  let size = 0;
  for (const row of rows) {
    const bytes = JSON.stringify(row).length + 64;
    if (current.length > 0 && size + bytes > CHUNK_BYTES) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(row);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** What else a bulk insert writes in its transaction, and the condition its task inserts need. */
export interface BulkExtra {
  /** Statements run before the task inserts (e.g. marking failed items as requeued). */
  before: D1PreparedStatement[];
  /**
   * A condition every task insert checks, with its parameters (numbered from ?2); false inserts
   * nothing — a compare-and-set on what `before` did.
   */
  guard: { sql: string; params: unknown[] };
}

/**
 * Inserts tasks in one D1 batch — one transaction: every row or none, and no scheduler pass sees
 * part of it. For a bulk call (`batch` given) the batch row is written first: a new batch takes its
 * first task's name as its place in creation order, an existing one keeps its place, and a given
 * policy replaces its own. `extra.before` runs before the inserts in the same transaction and
 * `extra.guard` must hold for any row to be inserted (a schedule's firing, a requeue). Returns the
 * inserted rows' event fields in insertion order.
 */
export async function insertTasks(
  db: Db,
  rows: BulkTaskRow[],
  batch: { id: string; owner: string; policy: FailurePolicy | undefined; now: number } | null,
  extra: BulkExtra = { before: [], guard: { sql: "1", params: [] } },
): Promise<EventRow[]> {
  const before = [...extra.before];
  if (batch) {
    before.unshift(
      db.$client
        .prepare(
          `INSERT INTO batches (batch_id, owner, total, failure_policy, created_at, order_key)
           VALUES (?1, ?2, 0, coalesce(?3, 'continue'), ?4, ?5)
           ON CONFLICT (batch_id) DO UPDATE SET failure_policy = coalesce(?3, batches.failure_policy)
           WHERE batches.owner = excluded.owner`,
        )
        .bind(batch.id, batch.owner, batch.policy ?? null, batch.now, rows[0]?.name ?? batch.id),
    );
  }
  const inserts = chunks(rows).map((chunk) => insertChunk(db, chunk, extra.guard));
  try {
    const results = await db.$client.batch<EventRow>([...before, ...inserts]);
    return results.slice(before.length).flatMap((r) => r.results);
  } catch (error) {
    if (batch && dbErrorMentions(error, "batch_id belongs to another owner")) throw anotherOwnersBatch(batch.id);
    throw error;
  }
}

/**
 * Inserts a prepared report job: its task (with the task type's priority) and its job row, in one
 * transaction — the task exists exactly when its job does. Throws the unique-constraint error when
 * an identical reusable job won a race (the caller reads the winner).
 */
export async function insertReportJob(
  db: Db,
  row: NewTaskRow,
  job: NewReportJobRow,
): Promise<{ task: WatchedTask; job: typeof reportJobs.$inferSelect }> {
  const [[task], [inserted]] = await db.batch([
    db
      .insert(tasks)
      .values({ ...row, priority: typePriority(row.method) })
      .returning(rowWithWatch),
    db.insert(reportJobs).values(job).returning(),
  ]);
  if (!task || !inserted) throw new Error(`could not insert report job ${row.name}`);
  return { task, job: inserted };
}
