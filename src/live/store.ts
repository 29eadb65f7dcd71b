// The method object's own SQLite: one row per live task (the same columns as the log), one row per
// claim (the attempts a consumer claimed together, with their outcomes until the log has them),
// and a few meta values. Rows written are what Cloudflare bills, so the tables are WITHOUT ROWID
// and carry only indexes that a few tasks enter (timers, dedupe keys, schedule runs).
import { getTableColumns } from "drizzle-orm";
import { tasks, type TaskRow } from "../db/schema";
import { count } from "../shared/metrics";

/** A live task as its object holds it: the log's columns. */
export type TaskRecord = Omit<TaskRow, "loggedAt">;

/**
 * A stored row: the record, the bulk enqueue that holds it back (if any), and when the row was
 * last written (for a dispatchable task: since when it could start).
 */
export type StoredTask = TaskRecord & { hold: string | null; changedAt: number };

const COLUMNS = Object.entries(getTableColumns(tasks)).filter(([key]) => key !== "loggedAt");

/** The task columns in SQL order, with their drizzle keys. */
export const TASK_COLUMNS: readonly (readonly [keyof TaskRecord, string])[] = COLUMNS.map(
  ([key, column]) => [key as keyof TaskRecord, column.name] as const,
);

const BOOLEAN_KEYS = new Set<string>(["atFront"]);

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tasks (
    ${TASK_COLUMNS.map(([, name]) => name).join(", ")},
    hold TEXT,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (name)
  ) WITHOUT ROWID`,
  // Delayed starts and scheduled retries: only tasks with a timer enter it.
  `CREATE INDEX IF NOT EXISTS tasks_wake ON tasks (wake_at) WHERE wake_at IS NOT NULL`,
  // Dedupe: only tasks with a key enter it (whether the holder is still live is checked in code).
  `CREATE INDEX IF NOT EXISTS tasks_dedupe ON tasks (owner, dedupe_key) WHERE dedupe_key IS NOT NULL`,
  // A schedule's runs, for its overlap policy.
  `CREATE INDEX IF NOT EXISTS tasks_schedule ON tasks (scheduled_job) WHERE scheduled_job IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, entries TEXT NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID`,
  // Rate limits (flow control): one window per key value — when it began, how many it accepted.
  `CREATE TABLE IF NOT EXISTS flow_windows (key TEXT PRIMARY KEY, start INTEGER NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID`,
  // Slow throttles (flow control): one theoretical arrival time per key value.
  `CREATE TABLE IF NOT EXISTS flow_tats (key TEXT PRIMARY KEY, tat REAL NOT NULL) WITHOUT ROWID`,
];

/** Indexes on columns a table from an earlier version may lack: created once the columns are there. */
const INDEXES_ON_ADDED_COLUMNS = [
  // "Run again" links: only reruns enter it.
  `CREATE INDEX IF NOT EXISTS tasks_rerun_of ON tasks (rerun_of) WHERE rerun_of IS NOT NULL`,
  // Flow control: singleton and debounce keys (only tasks with such a key enter them).
  `CREATE INDEX IF NOT EXISTS tasks_flow_singleton ON tasks (flow_keys ->> '$.s') WHERE flow_keys ->> '$.s' IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS tasks_flow_debounce ON tasks (flow_keys ->> '$.d') WHERE flow_keys ->> '$.d' IS NOT NULL`,
];

/** The object's SQL, counted (rows read and written, as billed) for the benchmark. */
export class Store {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Creates the tables (idempotent; run once per wake), and adds any task column the log has gained
   * since this object's table was created (a column added to the log is added here too).
   */
  migrate(): void {
    for (const statement of SCHEMA) this.sql.exec(statement);
    const present = new Set(
      this.sql
        .exec<{ name: string }>(`PRAGMA table_info(tasks)`)
        .toArray()
        .map((c) => c.name),
    );
    for (const [, name] of TASK_COLUMNS) {
      if (!present.has(name)) this.sql.exec(`ALTER TABLE tasks ADD COLUMN ${name}`);
    }
    for (const statement of INDEXES_ON_ADDED_COLUMNS) this.sql.exec(statement);
  }

  /** Runs a statement and returns its rows, counting what it read and wrote. */
  exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    count({ objectRowsRead: cursor.rowsRead, objectRowsWritten: cursor.rowsWritten, objectStatements: 1 });
    return rows;
  }

  /** A meta value, or null. */
  meta(key: string): SqlStorageValue | null {
    const [row] = this.exec<{ value: SqlStorageValue }>(`SELECT value FROM meta WHERE key = ?`, key);
    return row?.value ?? null;
  }

  /** A meta value that is text (JSON), or null. */
  metaText(key: string): string | null {
    const value = this.meta(key);
    return typeof value === "string" ? value : null;
  }

  setMeta(key: string, value: SqlStorageValue): void {
    this.exec(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    );
  }

  /**
   * Inserts task rows (the caller has checked they are new): one statement per ~1 MB of rows,
   * read from a single JSON parameter (object SQLite, like D1, binds at most 100 parameters).
   */
  insertTasks(records: readonly TaskRecord[], hold: string | null, now: number): void {
    const names = TASK_COLUMNS.map(([, name]) => name);
    const query = `INSERT INTO tasks (${names.join(", ")}, hold, changed_at)
      SELECT ${names.map((n) => `j ->> '${n}'`).join(", ")}, ?2, ?3 FROM (SELECT value AS j FROM json_each(?1))`;
    let chunk: string[] = [];
    let size = 0;
    const flush = () => {
      if (chunk.length > 0) this.exec(query, `[${chunk.join(",")}]`, hold, now);
      chunk = [];
      size = 0;
    };
    for (const record of records) {
      const values = toSql(record);
      const json = JSON.stringify(Object.fromEntries(names.map((n, i) => [n, values[i] ?? null])));
      if (size + json.length > 1_000_000) flush();
      chunk.push(json);
      size += json.length + 1;
    }
    flush();
  }

  /** Writes a task's whole row (its durable state changed). */
  writeTask(record: TaskRecord, now: number): void {
    const sets = TASK_COLUMNS.filter(([key]) => key !== "name").map(([, name]) => `${name} = ?`);
    const values = toSql(record).slice(1);
    this.exec(`UPDATE tasks SET ${sets.join(", ")}, changed_at = ? WHERE name = ?`, ...values, now, record.name);
  }

  /** The task's row, or null. */
  readTask(name: string): StoredTask | null {
    const [row] = this.exec(`SELECT * FROM tasks WHERE name = ?`, name);
    return row ? fromSql(row) : null;
  }

  /** Several rows by name (missing names are left out). */
  readTasks(names: readonly string[]): StoredTask[] {
    if (names.length === 0) return [];
    return this.exec(`SELECT * FROM tasks WHERE name IN (SELECT value FROM json_each(?))`, JSON.stringify(names)).map(
      fromSql,
    );
  }

  deleteTasks(names: readonly string[]): void {
    if (names.length === 0) return;
    this.exec(`DELETE FROM tasks WHERE name IN (SELECT value FROM json_each(?))`, JSON.stringify(names));
  }
}

/** A record as SQL values, in TASK_COLUMNS order. */
function toSql(record: TaskRecord): SqlStorageValue[] {
  return TASK_COLUMNS.map(([key]) => {
    const value = record[key];
    if (typeof value === "boolean") return value ? 1 : 0;
    return value ?? null;
  });
}

/** A row of the tasks table as a record. */
export function fromSql(row: Record<string, SqlStorageValue>): StoredTask {
  const record: Record<string, unknown> = { hold: row.hold ?? null, changedAt: Number(row.changed_at ?? 0) };
  for (const [key, name] of TASK_COLUMNS) {
    const value = row[name];
    record[key] = BOOLEAN_KEYS.has(key) ? value === 1 : (value ?? null);
  }
  return record as unknown as StoredTask;
}
