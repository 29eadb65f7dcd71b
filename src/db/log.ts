// Writing the task log: one group of tasks per statement (an upsert over json_each of one JSON
// parameter, since D1 binds at most 100 parameters), idempotent — a row is written only when the
// group carries a newer state than the log has (seq), so a group sent twice writes nothing twice.
// The statement also reads, for each row it wrote, whether anyone watches it: the watch and the
// write are one transaction, so a subscriber registered before the write always gets its event.
import { getTableColumns } from "drizzle-orm";
import { ALL_SCOPE } from "../shared/realtime-scopes";
import type { Db } from "./client";
import { tasks, type BatchRow, type TaskRow } from "./schema";

const COLUMNS = Object.entries(getTableColumns(tasks)).map(([key, column]) => ({ key, name: column.name }));

/** Largest JSON parameter per statement (D1 caps a string value at 2,000,000 bytes). */
const CHUNK_BYTES = 900_000;

/** What the log answers for a row it wrote. */
export interface LoggedRow {
  name: string;
  seq: number;
  /** Until when the task's own, batch's or owner's scope is watched (null: nobody). */
  watchUntil: number | null;
  /** Until when the every-task scope is watched (null: nobody). */
  allWatchUntil: number | null;
}

const UPDATES = COLUMNS.filter((c) => c.name !== "name")
  .map((c) => `${c.name} = excluded.${c.name}`)
  .join(", ");

const INSERT = `INSERT INTO tasks (${COLUMNS.map((c) => c.name).join(", ")})
  SELECT ${COLUMNS.map((c) => `j ->> '${c.name}'`).join(", ")} FROM (SELECT value AS j FROM json_each(?1)) WHERE true
  ON CONFLICT (name) DO UPDATE SET ${UPDATES} WHERE excluded.seq > tasks.seq
  RETURNING name, seq,
    (SELECT max(until) FROM realtime_watches WHERE scope IN ('task:' || name, 'batch:' || batch_id, 'owner:' || owner)) AS watchUntil,
    (SELECT until FROM realtime_watches WHERE scope = '${ALL_SCOPE}') AS allWatchUntil`;

/** A task as the JSON the statement reads (booleans as 0/1, every column present). */
function toJsonRow(task: Omit<TaskRow, "loggedAt">, now: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const source = task as Record<string, unknown>;
  for (const { key, name } of COLUMNS) {
    const value = key === "loggedAt" ? now : source[key];
    row[name] = typeof value === "boolean" ? Number(value) : (value ?? null);
  }
  return row;
}

/**
 * Writes a group of tasks to the log in one D1 batch (one statement per ~1 MB of JSON), and reads
 * the counters of the batches they belong to in the same batch. Returns the rows written (those
 * the log did not already have in that state) with their watches, and the batch counters.
 */
export async function writeLog(
  db: Db,
  group: readonly Omit<TaskRow, "loggedAt">[],
  now: number,
  /** Statements to run after the upserts in the same transaction (completion webhooks' deliveries). */
  extra: readonly D1PreparedStatement[] = [],
): Promise<{ written: LoggedRow[]; batches: BatchRow[] }> {
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const task of group) {
    const json = JSON.stringify(toJsonRow(task, now));
    if (current.length > 0 && size + json.length > CHUNK_BYTES) {
      chunks.push(`[${current.join(",")}]`);
      current = [];
      size = 0;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length > 0) chunks.push(`[${current.join(",")}]`);
  const batchIds = [...new Set(group.map((t) => t.batchId).filter((b): b is string => b !== null))];
  const statements = chunks.map((json) => db.$client.prepare(INSERT).bind(json));
  if (chunks.length > 0) statements.push(...extra);
  if (batchIds.length > 0) {
    statements.push(
      db.$client
        .prepare(`SELECT * FROM batches WHERE batch_id IN (SELECT value FROM json_each(?1))`)
        .bind(JSON.stringify(batchIds)),
    );
  }
  if (statements.length === 0) return { written: [], batches: [] };
  const results = await db.$client.batch<Record<string, unknown>>(statements);
  const written = results.slice(0, chunks.length).flatMap((r) => r.results as unknown as LoggedRow[]);
  const batchRows = batchIds.length > 0 ? (results.at(-1)?.results ?? []) : [];
  return { written, batches: batchRows.map(batchFromSql) };
}

function batchFromSql(row: Record<string, unknown>): BatchRow {
  return {
    batchId: String(row.batch_id),
    owner: String(row.owner),
    total: Number(row.total),
    finished: Number(row.finished),
    failed: Number(row.failed),
    canceled: Number(row.canceled),
    failurePolicy: row.failure_policy as BatchRow["failurePolicy"],
    createdAt: Number(row.created_at),
    orderKey: String(row.order_key),
    methods: typeof row.methods === "string" ? row.methods : "{}",
    label: typeof row.label === "string" ? row.label : null,
  };
}
