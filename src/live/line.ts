// Admission order of a method's dispatchable tasks — at_front / run-now lanes, then priority, then
// creation order (a batch takes its place by its creation and batch_order orders only within it),
// then the name — in code and in SQL. The line itself, with fairness across keys and only its
// heads in memory, is fair-line.ts; within a fairness key it admits in exactly this order.

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
