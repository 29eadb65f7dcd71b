// Per-isolate operation counters (D1 statements/rows, DO requests, queue messages) for `npm run bench` and /api/v1/ops.

/** A random id for this isolate, so a reader that polls several objects can tell shared counters apart. */
let isolateId: string | undefined;

export interface Counters {
  d1Statements: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  doRequests: number;
  queueMessages: number;
}

const counters: Counters = {
  d1Statements: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  doRequests: 0,
  queueMessages: 0,
};

/** Adds to this isolate's counters. */
export function count(delta: Partial<Counters>): void {
  counters.d1Statements += delta.d1Statements ?? 0;
  counters.d1RowsRead += delta.d1RowsRead ?? 0;
  counters.d1RowsWritten += delta.d1RowsWritten ?? 0;
  counters.doRequests += delta.doRequests ?? 0;
  counters.queueMessages += delta.queueMessages ?? 0;
}

/** A copy of this isolate's counters, tagged with the isolate id. */
export function snapshot(): Counters & { isolate: string } {
  // Created lazily: random values are not allowed at global scope.
  isolateId ??= crypto.randomUUID();
  return { ...counters, isolate: isolateId };
}
