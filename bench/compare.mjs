// The standard measurement: the new design, the old design and the raw queue, interleaved round by
// round on the same machine (new round, old round, raw round, new round, …), for each load scenario
// (parallel clients × methods loaded), then the dispatch-only run (bulk-enqueued backlog, dispatcher
// switched on) interleaved the same way. Per-task operation counts come from each stack's own
// counters over one window per scenario, less the benchmark's metrics reads and completion polls.
import { awaitQueueBatches, costLines, diff } from "./counters.mjs";
import { ms, roundSpan } from "./design.mjs";
import { log } from "./stack.mjs";
import { maxOf, ratio, round, roundSummary, sumOf } from "./stats.mjs";
import os from "node:os";

/** The demo methods a `--methods M` load spreads over, in this order, with valid arguments. */
export const LOAD_METHODS = [
  { method: "demo.noop" },
  { method: "demo.echo", arguments: {} },
  { method: "demo.mark", arguments: {} },
  { method: "demo.sleep", arguments: { ms: 0 } },
];

const QUEUES = "switchyard-(short|default|long)";

/**
 * @param {{ designs: import("./design.mjs").Design[], raw: object, scenarios: {clients: number, methods: number}[],
 *   tasks: number, rounds: number, dispatch: { tasks: number, reps: number } | null, warmup: number }} p
 */
export async function compare({ designs, raw, scenarios, tasks, rounds, dispatch, warmup }) {
  const allMethods = LOAD_METHODS.slice(0, Math.max(...scenarios.map((s) => s.methods)));
  const measured = [];

  // Warm-up (JIT, D1 files, objects, queue consumers): every method once per design, not counted.
  if (warmup > 0) {
    for (const d of designs) {
      log(`${d.label}: warm-up, ${warmup} tasks over ${allMethods.length} method(s)`);
      await d.managedRun(warmup, 12, allMethods, `${d.label} warm-up`);
    }
    await raw.run(warmup, 1, 12, "raw warm-up");
  }
  // What one metrics read costs, once the warm-up's work is done (calibrateReads waits for rest).
  for (const d of designs) {
    const perRead = await d.calibrateReads();
    log(`${d.label}: one metrics read adds ${JSON.stringify(nonZero(perRead))}`);
  }

  for (const scenario of scenarios) {
    const specs = LOAD_METHODS.slice(0, scenario.methods);
    const methods = specs.map((s) => s.method);
    const tag = `${scenario.clients} client${scenario.clients === 1 ? "" : "s"}, ${methods.length} method${methods.length === 1 ? "" : "s"}`;
    const windows = new Map();
    for (const d of designs) {
      const before = await d.settle();
      windows.set(d, {
        before,
        pollsBefore: { ...d.polls },
        logFrom: d.logOffset(),
        since: Date.now() - 1000,
        runs: [],
      });
    }
    const rawRuns = [];
    const loads = [];
    for (let r = 0; r < rounds; r++) {
      const n = Math.floor(tasks / rounds) + (r < tasks % rounds ? 1 : 0);
      for (const d of designs) {
        const label = `${tag}: ${d.label} ${r + 1}/${rounds}`;
        log(`${label}: ${n} tasks`);
        windows.get(d).runs.push(await d.managedRun(n, scenario.clients, specs, label));
        await d.settle();
      }
      log(`${tag}: raw ${r + 1}/${rounds}: ${n} messages`);
      rawRuns.push(await raw.run(n, 1, scenario.clients, `raw ${r + 1}/${rounds}`));
      loads.push(round(os.loadavg()[0], 2));
    }
    const result = { clients: scenario.clients, methods, tasks, rounds, loadavg_1m_after_rounds: loads, designs: {} };
    for (const d of designs) {
      const w = windows.get(d);
      w.after = await d.settle();
      w.pollsAfter = { ...d.polls };
      if (w.before.isolates.join() !== w.after.isolates.join()) {
        throw new Error(
          `${d.label}: the worker restarted during "${tag}" (isolates ${w.before.isolates} → ${w.after.isolates}): ` +
            "counters were reset. Was a file it watches edited while the benchmark ran? Run it again.",
        );
      }
      w.delta = d.delta(w.after, w.before);
      w.batches = await awaitQueueBatches(d.logFile, QUEUES, w.logFrom, w.delta.queueMessages);
      const names = w.runs.flatMap((x) => x.names);
      const rows = await d.listTasks(names, methods, w.since);
      const byName = new Map(rows.map((t) => [t.name, t]));
      w.roundRows = w.runs.map((x) => x.names.map((name) => byName.get(name)));
      w.rows = rows;
      w.names = names;
    }
    measured.push({ scenario, result, windows, rawRuns });
  }

  // Raw queue with 100 messages per request (sendBatch): the local queue's own ceiling, informational.
  log(`raw batched: ${tasks} messages, 100 per request`);
  const rawBatched = stripRaw(await raw.run(tasks, 100, 12, "raw batched"));

  // Dispatch only, interleaved: new, old, new, old, …
  const dispatchRuns = new Map(designs.map((d) => [d, []]));
  if (dispatch) {
    for (let r = 0; r < dispatch.reps; r++) {
      for (const d of designs) {
        const label = `dispatch-only ${d.label} ${r + 1}/${dispatch.reps}`;
        log(`${label}: ${dispatch.tasks} tasks bulk-enqueued with the dispatcher off, then resumed`);
        dispatchRuns.get(d).push(await d.dispatchOnly(dispatch.tasks, "demo.noop", label));
      }
    }
  }

  // What the benchmark's completion polls cost each stack, measured now at rest.
  for (const d of designs) {
    const cost = await d.calibratePolls();
    log(
      `${d.label}: one task poll adds ${JSON.stringify(nonZero(cost.task))}, one ops poll ${JSON.stringify(nonZero(cost.ops))}`,
    );
  }

  // ---- results
  const scenarioResults = [];
  for (const { scenario, result, windows, rawRuns } of measured) {
    const rawSpan = sumOf(rawRuns, (x) => x.span_ms);
    const rawReceived = sumOf(rawRuns, (x) => x.messages);
    result.raw = {
      messages: rawReceived,
      messages_per_request: 1,
      msgs_per_s: round((rawReceived / rawSpan) * 1000, 1),
      latency_ms: {
        send_to_consume: roundSummary(rawRuns.flatMap((x) => x.latencies)),
        send_request: roundSummary(rawRuns.flatMap((x) => x.requestMs)),
      },
      consumer_invocations: sumOf(rawRuns, (x) => x.consumer_invocations),
      avg_batch_size: round(rawReceived / sumOf(rawRuns, (x) => x.consumer_invocations), 2),
    };
    for (const d of designs) {
      const w = windows.get(d);
      result.designs[d.label] = await designResult(d, w, { scenario, rawRuns });
    }
    result.ratios = ratios(result);
    scenarioResults.push(result);
  }

  let dispatchResult = null;
  if (dispatch) {
    dispatchResult = { tasks: dispatch.tasks, reps: dispatch.reps, designs: {} };
    for (const d of designs) dispatchResult.designs[d.label] = await dispatchSummary(d, dispatchRuns.get(d));
    const [a, b] = designs.map((d) => dispatchResult.designs[d.label]);
    if (b) dispatchResult.new_over_old_throughput = ratio(a.tasks_per_s, b.tasks_per_s);
  }

  return { scenarios: scenarioResults, raw_batched: rawBatched, dispatch_only: dispatchResult };
}

/** Only the counters that moved (for log lines). */
function nonZero(counters) {
  return Object.fromEntries(
    Object.entries(counters)
      .filter(([, v]) => v !== 0)
      .map(([k, v]) => [k, round(v, 3)]),
  );
}

function stripRaw({ latencies, requestMs, ...rest }) {
  return { ...rest, send_to_consume_ms: roundSummary(latencies) };
}

/** Per-task counts and $/M of one design: counters where it has them, labelled estimates where not. */
function perTaskOf(d, net, n, batches, httpRequests) {
  const perTask = Object.fromEntries(Object.entries(net).map(([k, v]) => [k, round(v / n, 4)]));
  // Every API request looks its key up in D1 (one statement, as a metrics read shows): how much of
  // the D1 statements per task that is, and what the rest of the engine issues.
  perTask.d1Statements_key_lookups = round((d.perRead.d1Statements * httpRequests.count) / n, 4);
  perTask.d1Statements_engine = round(perTask.d1Statements - perTask.d1Statements_key_lookups, 4);
  const estimated = {};
  const isOld = !("objectRowsWritten" in net);
  if (isOld) {
    // The old design counted neither its object storage writes (its alarms) nor invocations.
    // A scheduler pass with no timer due was one D1 batch of 2 statements; every other statement on
    // the happy path is the key lookup, the INSERT and the finish (three per enqueued task) and the
    // claim (one per consumer batch). At most one setAlarm per pass.
    const passes = Math.max(0, (net.d1Statements - httpRequests.perTaskStatements * n - batches) / 2);
    perTask.alarmsSet_est = round(passes / n, 4);
    perTask.objectRowsWritten = 0;
    perTask.alarmsSet = perTask.alarmsSet_est;
    estimated.objectRowsWritten =
      "ESTIMATE: setAlarm, at most one per scheduler pass; passes estimated from D1 statements";
    perTask.invocations_est = round((httpRequests.count + batches) / n, 4);
    perTask.invocations = perTask.invocations_est;
    estimated.invocations = "ESTIMATE: the client's HTTP requests + consumer batches from wrangler's QUEUE log lines";
  }
  perTask.billable_rows_written = round(
    perTask.d1RowsWritten + (perTask.objectRowsWritten ?? 0) + (perTask.alarmsSet ?? 0),
    4,
  );
  perTask.tasks_per_message = isOld ? round(n / net.queueMessages, 3) : round(net.queueTasks / net.queueMessages, 3);
  perTask.consumer_batches_from_log = round(batches / n, 4);
  return { perTask, cost: costLines(perTask, estimated), estimated: isOld };
}

async function designResult(d, w, { scenario, rawRuns }) {
  const n = w.names.length;
  const overhead = d.pollOverhead(w.pollsBefore, w.pollsAfter);
  const net = diff(w.delta, overhead);
  const { perTask, cost, estimated } = perTaskOf(d, net, n, w.batches.batches, {
    count: sumOf(w.runs, (x) => x.requests),
    perTaskStatements: 3,
  });
  const spans = w.roundRows.map(roundSpan);
  const span = sumOf(spans);
  const rows = w.rows;
  const statuses = {};
  for (const t of rows) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
  let logLag = null;
  if (!estimated) {
    const { lags, missing } = await d.logLag(w.names, w.since, d.logFile);
    logLag = { ...roundSummary(lags), missing };
  }
  return {
    tasks: n,
    statuses,
    tasks_per_s: round((n / span) * 1000, 1),
    duration_s: round(span / 1000, 3),
    rounds: spans.map((s, i) => ({
      tasks_per_s: round((w.roundRows[i].length / s) * 1000, 1),
      over_raw: ratio(w.roundRows[i].length / s, rawRuns[i].messages / rawRuns[i].span_ms),
    })),
    enqueue_request_ms: roundSummary(w.runs.flatMap((x) => x.requestMs)),
    latency_ms: {
      enqueue_to_queued: roundSummary(rows.map((t) => ms(t.queued_at) - ms(t.created_at))),
      enqueue_to_started: roundSummary(rows.map((t) => ms(t.started_at) - ms(t.created_at))),
      enqueue_to_finished: roundSummary(rows.map((t) => ms(t.ended_at) - ms(t.created_at))),
    },
    log_lag_ms: logLag,
    consumer_batches: w.batches.batches,
    messages_per_consumer_batch: w.batches.batches ? round(w.batches.messages / w.batches.batches, 2) : null,
    per_task: perTask,
    cost_usd_per_million_tasks: cost,
    totals: w.delta,
    bench_overhead: {
      note: "subtracted: completion polls (calibrated at rest) and metrics reads",
      polls: { task: w.pollsAfter.task - w.pollsBefore.task, ops: w.pollsAfter.ops - w.pollsBefore.ops },
      per_task: Object.fromEntries(Object.entries(overhead).map(([k, v]) => [k, round(v / n, 4)])),
      metrics_reads: w.after.reads - w.before.reads,
    },
    scenario,
  };
}

function ratios(result) {
  const [a, b] = Object.keys(result.designs);
  const A = result.designs[a];
  const B = b ? result.designs[b] : null;
  const out = {
    managed_over_raw: Object.fromEntries(
      Object.entries(result.designs).map(([k, v]) => [k, ratio(v.tasks_per_s, result.raw.msgs_per_s)]),
    ),
  };
  if (B) {
    const per = {};
    for (const k of Object.keys(A.per_task)) if (k in B.per_task) per[k] = ratio(A.per_task[k], B.per_task[k]);
    out[`${a}_over_${b}`] = {
      tasks_per_s: ratio(A.tasks_per_s, B.tasks_per_s),
      usd_per_million: ratio(A.cost_usd_per_million_tasks.total, B.cost_usd_per_million_tasks.total),
      enqueue_to_started_p50: ratio(A.latency_ms.enqueue_to_started.p50, B.latency_ms.enqueue_to_started.p50),
      enqueue_to_started_p99: ratio(A.latency_ms.enqueue_to_started.p99, B.latency_ms.enqueue_to_started.p99),
      per_task: per,
    };
  }
  return out;
}

async function dispatchSummary(d, runs) {
  const durations = [];
  let n = 0;
  let net = null;
  let batches = 0;
  const started = [];
  const lagNames = [];
  let since = Infinity;
  for (const run of runs) {
    const rows = await d.listTasks(run.names, ["demo.noop"], run.resumedAt - 600_000);
    const end = maxOf(rows.map((t) => ms(t.ended_at)));
    durations.push(end - run.resumedAt);
    n += rows.length;
    for (const t of rows) started.push(ms(t.started_at) - run.resumedAt);
    const delta = diff(d.delta(run.after, run.before), d.pollOverhead(run.pollsBefore, run.pollsAfter));
    net = net ? Object.fromEntries(Object.keys(delta).map((k) => [k, net[k] + delta[k]])) : delta;
    batches += (await awaitQueueBatches(d.logFile, QUEUES, run.logFrom, delta.queueMessages)).batches;
    lagNames.push(...run.names);
    since = Math.min(since, run.resumedAt - 600_000);
  }
  // One PUT /api/v1/dispatcher per run besides the consumer batches; per task besides passes and
  // claims, the old design's finish is one statement.
  const { perTask, cost, estimated } = perTaskOf(d, net, n, batches, {
    count: runs.length,
    perTaskStatements: 1,
  });
  let logLag = null;
  if (!estimated) {
    const { lags, missing } = await d.logLag(lagNames, since, d.logFile);
    logLag = { ...roundSummary(lags), missing };
  }
  const total = sumOf(durations);
  return {
    note: "bulk-enqueued with the dispatcher off (not measured); from PUT /api/v1/dispatcher {enabled:true} to the last ended_at",
    tasks: n,
    duration_s: durations.map((x) => round(x / 1000, 3)),
    tasks_per_s: round((n / total) * 1000, 1),
    resume_to_started_ms: roundSummary(started),
    per_task: perTask,
    cost_usd_per_million_tasks: cost,
    log_lag_ms: logLag,
  };
}
