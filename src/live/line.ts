// The line of a method's dispatchable tasks in admission order — at_front / run-now lanes, then
// priority, then creation order (a batch takes its place by its creation and batch_order orders
// only within it), then the name. Only its head is kept in memory: a backlog of any size costs a
// bounded amount of memory, and the storage has no index to pay for on every insert. The head is
// refilled from storage (a sort of the dispatchable rows) when it runs dry.

/** What orders a task in the line. */
export interface LineEntry {
  name: string;
  lane: number;
  priority: number;
  orderKey: string;
  batchOrder: number;
}

/** Negative when `a` is admitted before `b`. The one definition of admission order. */
export function compareLine(a: LineEntry, b: LineEntry): number {
  return (
    b.lane - a.lane ||
    b.priority - a.priority ||
    (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0) ||
    a.batchOrder - b.batchOrder ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** Admission order as an SQL ORDER BY over the tasks table (the same order as compareLine). */
export const LINE_ORDER_SQL = "lane DESC, priority DESC, order_key ASC, batch_order ASC, name ASC";

/** The line's rows in storage, less what the caller excludes (in flight, held). */
export type LineSource = (limit: number, exclude: ReadonlySet<string>) => LineEntry[];

/**
 * The head of the line. Invariant: when `complete` is false, every dispatchable task not in the
 * head comes after the head's last entry; when true, the head is the whole line.
 */
export class Line {
  private head: LineEntry[] = [];
  private complete = false;
  private readonly names = new Set<string>();

  constructor(
    private readonly source: LineSource,
    private readonly pageSize = 1000,
  ) {}

  /** Forgets the head; the next read refills it from storage. */
  reset(): void {
    this.head = [];
    this.names.clear();
    this.complete = false;
  }

  /** A task became dispatchable. */
  add(entry: LineEntry): void {
    if (this.names.has(entry.name)) this.remove(entry.name);
    const last = this.head.at(-1);
    // Beyond an incomplete head, storage holds it; the refill finds it in its place.
    if (!this.complete && (last === undefined || compareLine(entry, last) > 0)) return;
    let index = this.head.length;
    while (index > 0 && compareLine(entry, this.head[index - 1] as LineEntry) < 0) index--;
    this.head.splice(index, 0, entry);
    this.names.add(entry.name);
    if (this.head.length > this.pageSize * 2) {
      for (const dropped of this.head.splice(this.pageSize)) this.names.delete(dropped.name);
      this.complete = false;
    }
  }

  /** A task left the line (admitted, paused, canceled, delayed …). */
  remove(name: string): void {
    if (!this.names.delete(name)) return;
    const index = this.head.findIndex((e) => e.name === name);
    if (index >= 0) this.head.splice(index, 1);
  }

  /** The first `n` tasks in line (refilling the head when it runs dry), without taking them. */
  peek(n: number, exclude: ReadonlySet<string>): LineEntry[] {
    if (this.head.length < n && !this.complete) this.refill(exclude);
    return this.head.slice(0, n);
  }

  /** How many tasks come before `entry`, if the head can tell (null: count in storage). */
  placeOf(entry: LineEntry, exclude: ReadonlySet<string>): number | null {
    if (this.head.length === 0 && !this.complete) this.refill(exclude);
    const index = this.head.findIndex((e) => compareLine(e, entry) >= 0);
    if (index >= 0) return index;
    return this.complete ? this.head.length : null;
  }

  private refill(exclude: ReadonlySet<string>): void {
    const rows = this.source(this.pageSize, exclude);
    this.head = rows;
    this.names.clear();
    for (const row of rows) this.names.add(row.name);
    this.complete = rows.length < this.pageSize;
  }
}
