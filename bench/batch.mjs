// `npm run bench -- --batch-bench`: what enqueueing a 1,000-task batch costs (POST /api/v1/tasks/bulk),
// measured with the dispatcher off so no execution mixes in, and a batch of the same size run to
// completion. Called by bench/bench.mjs with the running stack (`ctx`); returns one JSON section.
// See docs/benchmarks.md.
import { ms } from "./design.mjs";
import { expectStatus, log } from "./stack.mjs";
import { maxOf, minOf, round, roundSummary, sleep, summary } from "./stats.mjs";

/**
 * @param {object} ctx the running stack from bench/bench.mjs (api; settle and delta: counters net of metrics reads)
 * @param {{ size: number, reps: number, method: string }} params
 */
export async function batchBench(ctx, { size, reps, method }) {
  const { api, settle, delta: net } = ctx;
  const specs = Array.from({ length: size }, () => ({ method }));
  const perTask = (delta) => Object.fromEntries(Object.keys(delta).map((k) => [k, round(delta[k] / size, 3)]));

  /** One bulk call; wall time measured by the client around the request. */
  async function bulk() {
    const t0 = performance.now();
    const res = await api("POST", "/api/v1/tasks/bulk", { tasks: specs });
    const wall = performance.now() - t0;
    const body = expectStatus(res, 201, "bulk enqueue");
    if (body.enqueued !== size) throw new Error(`bulk enqueue: ${body.enqueued} of ${size} enqueued`);
    return { wall, body };
  }

  // ---- 1. Enqueue only: the dispatcher is off, so the call's wake-up admits nothing.
  expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: false }), 200, "suspend dispatcher");
  const calls = [];
  const batchIds = [];
  try {
    for (let r = 0; r < reps; r++) {
      const before = await settle();
      const { wall, body } = await bulk();
      const after = await settle();
      const delta = net(after, before);
      batchIds.push(body.batch_id);
      calls.push({ wall_ms: round(wall, 1), ...delta });
      log(
        `bulk enqueue ${r + 1}/${reps}: ${size} tasks in ${Math.round(wall)} ms, ` +
          `${delta.d1Statements} statements, ${delta.d1RowsWritten} rows written, ${delta.d1RowsRead} rows read, ` +
          `${delta.objectRowsWritten} object rows written, ${delta.doRequests} DO requests`,
      );
    }
    // The measured batches are not run: cancel them (500 per call) so they do not delay the run below.
    for (const id of batchIds) {
      for (let i = 0; i < 10; i++) {
        const res = expectStatus(await api("POST", `/api/v1/batches/${id}/cancel`, {}), 200, "cancel batch");
        if (!res.truncated) break;
      }
    }
  } finally {
    expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: true }), 200, "resume dispatcher");
  }
  await settle();

  const median = (key) => summary(calls.map((c) => c[key])).p50;
  const enqueue = {
    note: "POST /api/v1/tasks/bulk with the dispatcher off (the tasks wait in their method's object, which writes them to the log); counter delta around each call, less the metrics reads",
    tasks_per_call: size,
    repetitions: reps,
    wall_ms: { ...roundSummary(calls.map((c) => c.wall_ms)), all: calls.map((c) => c.wall_ms) },
    per_call_p50: Object.fromEntries(counterKeys(calls).map((k) => [k, median(k)])),
    per_task_p50: Object.fromEntries(counterKeys(calls).map((k) => [k, round(median(k) / size, 3)])),
    calls,
  };

  // ---- 2. The same batch run to completion (dispatcher on): request → every task ended.
  log(`batch run: ${size} tasks of ${method} enqueued in one call and run to completion`);
  const before = await settle();
  const t0 = Date.now();
  const { wall, body } = await bulk();
  const answeredAt = Date.now();
  const batchId = body.batch_id;
  const last = body.tasks.reduce((a, b) => (b.batch_order > a.batch_order ? b : a)).name;
  const terminal = new Set(["Finished", "Failed", "Canceled"]);
  const polls = { task: 0, batch: 0 };
  const deadline = Date.now() + Math.max(120_000, size * 200);
  // The last task in batch order is admitted last: poll it (one primary-key read), then confirm
  // on the batch's counters.
  for (;;) {
    polls.task += 1;
    const t = expectStatus(await api("GET", `/api/v1/tasks/${last}`), 200, "poll task");
    if (terminal.has(t.status)) break;
    if (Date.now() > deadline) throw new Error(`batch run: timed out waiting for ${last} (${t.status})`);
    await sleep(100);
  }
  let batch;
  for (;;) {
    polls.batch += 1;
    batch = expectStatus(await api("GET", `/api/v1/batches/${batchId}`), 200, "poll batch");
    if (batch.done >= batch.total) break;
    if (Date.now() > deadline) throw new Error(`batch run: timed out at ${batch.done}/${batch.total}`);
    await sleep(100);
  }
  const seenDoneAt = Date.now();
  const after = await settle();
  const delta = net(after, before);

  // Server timestamps of the batch's tasks (read after the counters, so not counted).
  const rows = [];
  let cursor;
  do {
    const q = `/api/v1/tasks?batch_id=${encodeURIComponent(batchId)}&limit=500${cursor ? `&cursor=${cursor}` : ""}`;
    const page = expectStatus(await api("GET", q), 200, "list batch");
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  const created = minOf(rows.map((t) => ms(t.created_at)));
  const ended = maxOf(rows.map((t) => ms(t.ended_at)).filter(Number.isFinite));
  const statuses = {};
  for (const t of rows) statuses[t.status] = (statuses[t.status] ?? 0) + 1;

  // What the completion polls cost, measured now at rest on the same requests.
  const cal0 = await settle();
  for (let i = 0; i < 5; i++) await api("GET", `/api/v1/tasks/${last}`);
  const cal1 = await settle();
  for (let i = 0; i < 5; i++) await api("GET", `/api/v1/batches/${batchId}`);
  const cal2 = await settle();
  const perTaskPoll = net(cal1, cal0);
  const perBatchPoll = net(cal2, cal1);
  const overhead = Object.fromEntries(
    Object.keys(delta).map((k) => [k, (perTaskPoll[k] / 5) * polls.task + (perBatchPoll[k] / 5) * polls.batch]),
  );
  const runNet = Object.fromEntries(Object.keys(delta).map((k) => [k, delta[k] - overhead[k]]));

  const run = {
    note: "POST /api/v1/tasks/bulk with the dispatcher on, then every task run; times from server timestamps unless client_*",
    tasks: rows.length,
    statuses,
    batch_done: batch.done,
    batch_total: batch.total,
    request_ms: round(wall, 1),
    first_created_to_last_ended_s: round((ended - created) / 1000, 3),
    tasks_per_s: round((rows.length / (ended - created)) * 1000, 1),
    client_request_start_to_last_ended_s: round((ended - t0) / 1000, 3),
    client_wall_to_done_seen_s: round((seenDoneAt - t0) / 1000, 3),
    client_answer_s: round((answeredAt - t0) / 1000, 3),
    latency_ms: {
      created_to_queued: summary(rows.map((t) => ms(t.queued_at) - ms(t.created_at))),
      created_to_started: summary(rows.map((t) => ms(t.started_at) - ms(t.created_at))),
      queued_to_started: summary(rows.map((t) => ms(t.started_at) - ms(t.queued_at))),
      started_to_finished: summary(rows.map((t) => ms(t.ended_at) - ms(t.started_at))),
    },
    totals: delta,
    bench_overhead: { polls, ...overhead },
    per_task: perTask(runNet),
    per_task_note:
      "counter delta of the whole run minus the completion polls (measured at rest) and metrics reads, divided by the tasks",
  };
  return { enqueue_only: enqueue, run_to_completion: run };
}

/** The counter names of the measured calls (every key but the wall time). */
function counterKeys(calls) {
  return Object.keys(calls[0] ?? {}).filter((k) => k !== "wall_ms");
}
