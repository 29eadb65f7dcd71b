// A D1 binding wrapper for the benchmark (METRICS=on): counts every statement, and the rows read
// and written wherever D1 reports them. It never changes what a statement returns.
import { count } from "../shared/metrics";

function record(meta: D1Meta | undefined): void {
  count({ d1Statements: 1, d1RowsRead: meta?.rows_read ?? 0, d1RowsWritten: meta?.rows_written ?? 0 });
}

/**
 * A statement that counts itself when run. D1 reports rows read/written only with run(), all()
 * and batch() results; raw() — drizzle's path for typed selects — returns bare rows, so it is
 * counted as a statement only. Every transition runs as a D1 batch (src/transitions/), so the
 * hot path's writes are all measured.
 */
class CountingStatement implements D1PreparedStatement {
  constructor(readonly inner: D1PreparedStatement) {}

  bind(...values: unknown[]): CountingStatement {
    return new CountingStatement(this.inner.bind(...values));
  }

  first<T = unknown>(colName: string): Promise<T | null>;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  first<T>(colName?: string): Promise<T | null> {
    record(undefined);
    return colName === undefined ? this.inner.first<T>() : this.inner.first<T>(colName);
  }

  async run<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.inner.run<T>();
    record(result.meta);
    return result;
  }

  async all<T = Record<string, unknown>>(): Promise<D1Result<T>> {
    const result = await this.inner.all<T>();
    record(result.meta);
    return result;
  }

  raw<T = unknown[]>(options: { columnNames: true }): Promise<[string[], ...T[]]>;
  raw<T = unknown[]>(options?: { columnNames?: false }): Promise<T[]>;
  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<[string[], ...T[]] | T[]> {
    record(undefined);
    return options?.columnNames === true ? this.inner.raw<T>({ columnNames: true }) : this.inner.raw<T>();
  }
}

/** A D1 binding that counts what runs through it. */
class CountingDatabase implements D1Database {
  constructor(private readonly inner: D1Database) {}

  prepare(query: string): CountingStatement {
    return new CountingStatement(this.inner.prepare(query));
  }

  async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const results = await this.inner.batch<T>(statements.map((s) => (s instanceof CountingStatement ? s.inner : s)));
    for (const result of results) record(result.meta);
    return results;
  }

  exec(query: string): Promise<D1ExecResult> {
    return this.inner.exec(query);
  }

  withSession(constraintOrBookmark?: D1SessionBookmark): D1DatabaseSession {
    return this.inner.withSession(constraintOrBookmark);
  }

  dump(): Promise<ArrayBuffer> {
    return this.inner.dump();
  }
}

/** Wraps a D1 binding so every statement it runs is counted. */
export function countingD1(db: D1Database): D1Database {
  return new CountingDatabase(db);
}
