// The platform's operation counters (GET /api/v1/ops/metrics, METRICS=on) and what they cost at
// Cloudflare's list prices. The current design answers `{ worker, objects: [...] }` with every
// counter below; the old design (99ab77d and before) answered `{ worker, schedulers: [...] }` with
// only d1Statements, d1RowsRead, d1RowsWritten, doRequests and queueMessages.
import { readFileSync } from "node:fs";
import { round, sleep } from "./stats.mjs";

/** Every counter of the current design (src/shared/metrics.ts). */
export const COUNTERS = [
  "d1Statements",
  "d1RowsRead",
  "d1RowsWritten",
  "objectStatements",
  "objectRowsRead",
  "objectRowsWritten",
  "alarmsSet",
  "doRequests",
  "slotCalls",
  "queueMessages",
  "queueTasks",
  "invocations",
];

/**
 * Sums the counters once per distinct isolate (locally the Worker and the objects may share one).
 * `counted` lists the counters this stack has: a design that lacks one leaves it out of `total`.
 */
export function combine(metrics) {
  const snaps = [metrics.worker, ...(metrics.objects ?? metrics.schedulers ?? [])];
  const byIsolate = new Map();
  for (const snap of snaps) byIsolate.set(snap.isolate, snap);
  const counted = COUNTERS.filter((k) => snaps.every((s) => typeof s[k] === "number"));
  const total = Object.fromEntries(counted.map((k) => [k, 0]));
  for (const snap of byIsolate.values()) for (const k of counted) total[k] += snap[k];
  return { total, isolates: [...byIsolate.keys()].sort(), counted };
}

/** after − before, per counter of `after`. */
export function diff(after, before) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
}

/** a + b, per counter of `a`. */
export function add(a, b) {
  return Object.fromEntries(Object.keys(a).map((k) => [k, a[k] + (b[k] ?? 0)]));
}

/** Each counter × f. */
export function scale(counters, f) {
  return Object.fromEntries(Object.keys(counters).map((k) => [k, counters[k] * f]));
}

/** A counter set of zeros with the keys of `like`. */
export function zero(like) {
  return Object.fromEntries(Object.keys(like).map((k) => [k, 0]));
}

/** Whether two counter sets are equal. */
export function same(a, b) {
  return Object.keys(a).every((k) => a[k] === b[k]);
}

// ---------------------------------------------------------------------------------------------
// Prices: Cloudflare list prices, Workers Paid, marginal (beyond the included monthly usage), USD.
// Sources: developers.cloudflare.com/{d1,durable-objects,queues,workers}/platform/pricing/.

export const PRICES = {
  d1_row_written: 1.0 / 1e6,
  d1_row_read: 0.001 / 1e6,
  object_row_written: 1.0 / 1e6, // DO SQLite storage; each setAlarm() is billed as one row written
  object_row_read: 0.001 / 1e6,
  do_request: 0.15 / 1e6,
  queue_operation: 0.4 / 1e6, // per 64 KB written, read or deleted: 3 per delivered message
  worker_request: 0.3 / 1e6,
};

/**
 * The $ per million tasks, line by line, from per-task figures. `perTask` has the counters (or
 * estimates) of one design: d1RowsWritten, d1RowsRead, objectRowsWritten, alarmsSet, objectRowsRead,
 * doRequests, queueMessages, invocations; `estimated` names those that are estimates, not counts.
 */
export function costLines(perTask, estimated = {}) {
  const line = (units, price, note) => ({
    per_task: round(units, 3),
    usd_per_million_tasks: round(units * price * 1e6, 4),
    ...(note ? { note } : {}),
  });
  const lines = {
    d1_rows_written: line(perTask.d1RowsWritten, PRICES.d1_row_written),
    object_rows_written: line(
      (perTask.objectRowsWritten ?? 0) + (perTask.alarmsSet ?? 0),
      PRICES.object_row_written,
      estimated.objectRowsWritten ?? "object SQLite rows written + setAlarm calls (one row each)",
    ),
    rows_read: line(
      perTask.d1RowsRead + (perTask.objectRowsRead ?? 0),
      PRICES.d1_row_read,
      perTask.objectRowsRead === undefined ? "D1 only" : "D1 + object SQLite",
    ),
    do_requests: line(perTask.doRequests, PRICES.do_request),
    queue_operations: line(3 * perTask.queueMessages, PRICES.queue_operation, "write + read + delete per message"),
    worker_requests: line(perTask.invocations, PRICES.worker_request, estimated.invocations),
  };
  for (const l of Object.values(lines)) if (l.note === undefined) delete l.note;
  const total = Object.values(lines).reduce((a, l) => a + l.usd_per_million_tasks, 0);
  return { lines, total: round(total, 2) };
}

// ---------------------------------------------------------------------------------------------
// Queue consumer invocations, from wrangler's log (the old design does not count them).

/** Count of wrangler's "QUEUE <queue> <acked>/<size>" lines (one per consumer invocation). */
export function queueBatches(logFile, queue, fromByte = 0) {
  const text = readFileSync(logFile).subarray(fromByte).toString("utf8");
  const re = new RegExp(`QUEUE ${queue} (\\d+)/(\\d+)`, "g");
  let batches = 0;
  let messages = 0;
  for (const m of text.matchAll(re)) {
    batches += 1;
    messages += Number(m[2]);
  }
  return { batches, messages };
}

/**
 * The QUEUE lines for at least `expected` messages. wrangler writes them seconds after the
 * invocations (in bursts), so reading the log right after the run undercounts; waits up to 30 s.
 */
export async function awaitQueueBatches(logFile, queue, fromByte, expected) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const counted = queueBatches(logFile, queue, fromByte);
    if (counted.messages >= expected || Date.now() > deadline) return { ...counted, expected };
    await sleep(250);
  }
}
