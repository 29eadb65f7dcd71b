// Per-isolate operation counters (D1 statements/rows, DO requests, queue messages) for `npm run bench` and /api/v1/ops.

/** A random id for this isolate, so a reader that polls several objects can tell shared counters apart. */
let isolateId: string | undefined;

/** What the benchmark counts, each where the runtime reports it (see docs/benchmarks.md). */
export interface Counters {
  d1Statements: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** Statements run on a Durable Object's SQLite, and the rows its cursors report. */
  objectStatements: number;
  objectRowsRead: number;
  objectRowsWritten: number;
  /** setAlarm calls (each is billed as a row written). */
  alarmsSet: number;
  doRequests: number;
  /** Of those, a sharded method's slot reports and grants between its objects. */
  slotCalls: number;
  /** Queue messages sent, and the task attempts they carry. */
  queueMessages: number;
  queueTasks: number;
  /** Worker invocations: HTTP requests and queue consumer batches. */
  invocations: number;
}

const counters: Counters = {
  d1Statements: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  objectStatements: 0,
  objectRowsRead: 0,
  objectRowsWritten: 0,
  alarmsSet: 0,
  doRequests: 0,
  slotCalls: 0,
  queueMessages: 0,
  queueTasks: 0,
  invocations: 0,
};

/** Adds to this isolate's counters. */
export function count(delta: Partial<Counters>): void {
  for (const [key, value] of Object.entries(delta) as [keyof Counters, number][]) counters[key] += value;
}

/** A copy of this isolate's counters, tagged with the isolate id. */
export function snapshot(): Counters & { isolate: string } {
  // Created lazily: random values are not allowed at global scope.
  isolateId ??= crypto.randomUUID();
  return { ...counters, isolate: isolateId };
}
