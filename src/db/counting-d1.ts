// A D1Database wrapper that records statements and rows read/written (from D1's result meta) in lib/metrics.
import { count } from "../lib/metrics";

function record(meta: D1Meta | undefined, statements = 1): void {
  count({
    d1Statements: statements,
    d1RowsRead: meta?.rows_read ?? 0,
    d1RowsWritten: meta?.rows_written ?? 0,
  });
}

class CountingStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly query: string,
  ) {}

  bind(...values: unknown[]): CountingStatement {
    return new CountingStatement(this.inner.bind(...values), this.query);
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

  async first<T = Record<string, unknown>>(column?: string): Promise<T | null> {
    const result = await this.inner.all<Record<string, unknown>>();
    record(result.meta);
    const row = result.results[0];
    if (row === undefined) return null;
    return (column === undefined ? row : row[column]) as T;
  }

  /**
   * Rows as arrays (drizzle's path for selects and RETURNING). Done over all() so D1's meta — the
   * rows read and written — is seen, with columns in select order. A join may return two columns
   * with one name, which objects would merge, so joins use D1's positional raw() and count the
   * statement without its rows.
   */
  async raw<T = unknown[]>(): Promise<T[]> {
    if (/\bjoin\b/i.test(this.query)) {
      record(undefined);
      return this.inner.raw<T>();
    }
    const result = await this.inner.all<Record<string, unknown>>();
    record(result.meta);
    return result.results.map((row) => Object.values(row)) as T[];
  }
}

/** Wraps a D1 binding so every statement it runs is counted. */
export function countingD1(db: D1Database): D1Database {
  const wrapper = {
    prepare: (query: string) => new CountingStatement(db.prepare(query), query),
    batch: async <T = unknown>(statements: CountingStatement[]): Promise<D1Result<T>[]> => {
      const results = await db.batch<T>(statements.map((s) => s.inner));
      for (const r of results) record(r.meta);
      return results;
    },
    exec: (query: string) => db.exec(query),
    withSession: (constraint?: string) => db.withSession(constraint),
    dump: () => db.dump(),
  };
  return wrapper as unknown as D1Database;
}
