// Inserting many task rows in few statements: each chunk is one INSERT … SELECT over json_each of
// a single JSON parameter (D1 allows 100 bound parameters per statement; rows have ~25 columns).
import { getTableColumns } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks, type NewTaskRow } from "../db/schema";
import type { EventRow } from "../realtime/events";

/** Largest JSON parameter per statement (D1 caps a string value at 2,000,000 bytes). */
const CHUNK_BYTES = 1_000_000;

const COLUMNS = getTableColumns(tasks);

/** snake_case column name of each NewTaskRow key. */
function columnName(key: string): string {
  const column = COLUMNS[key as keyof typeof COLUMNS];
  return column.name;
}

const RETURNING = `RETURNING tasks.name AS name, tasks.job_name AS jobName, tasks.method AS method,
  tasks.status AS status, tasks.status_message AS statusMessage, tasks.error_message AS errorMessage,
  tasks.progress AS progress, tasks.batch_id AS batchId, tasks.owner AS owner, tasks.seq AS seq,
  tasks.wake_at AS wakeAt, tasks.attempt AS attempt, tasks.queue AS queue,
  (SELECT max(until) FROM realtime_watches WHERE scope IN
    ('task:' || tasks.name, 'batch:' || tasks.batch_id, 'owner:' || tasks.owner)) AS watchUntil`;

/**
 * One INSERT statement for rows that all have the same keys. A null priority means the task
 * type's; order_key is the batch's (its row exists: bulk writes it first, in the same transaction).
 */
function insertStatement(db: Db, rows: NewTaskRow[]): D1PreparedStatement {
  const keys = Object.keys(rows[0] ?? {});
  const columns = keys.map(columnName);
  const values = keys.map((key) => {
    const extract = `j ->> '${columnName(key)}'`;
    if (key === "priority") {
      return `coalesce(${extract}, (SELECT priority FROM task_types WHERE method = j ->> 'method'), 0)`;
    }
    if (key === "orderKey") {
      return `coalesce((SELECT order_key FROM batches WHERE batch_id = j ->> 'batch_id'), ${extract})`;
    }
    return extract;
  });
  const json = JSON.stringify(
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          columnName(key),
          typeof value === "boolean" ? Number(value) : value,
        ]),
      ),
    ),
  );
  const text = `INSERT INTO tasks (${columns.join(", ")})
    SELECT ${values.join(", ")} FROM (SELECT value AS j FROM json_each(?1)) ${RETURNING}`;
  return db.$client.prepare(text).bind(json);
}

/** Splits rows into chunks whose JSON stays under the per-value limit. */
function chunks(rows: NewTaskRow[]): NewTaskRow[][] {
  const out: NewTaskRow[][] = [];
  let current: NewTaskRow[] = [];
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

/**
 * Inserts all rows — after `before`, in the same D1 batch, i.e. one transaction: either every row
 * is written or none is, and no scheduler pass can see part of it. Returns the inserted rows'
 * event fields, in insertion order.
 */
export async function insertTaskRows(
  db: Db,
  rows: NewTaskRow[],
  before: D1PreparedStatement[] = [],
): Promise<EventRow[]> {
  const inserts = chunks(rows).map((chunk) => insertStatement(db, chunk));
  const results = await db.$client.batch<EventRow>([...before, ...inserts]);
  return results.slice(before.length).flatMap((r) => r.results);
}
