// `npm run bench -- --observability N`: what the metrics cost the hot path. Two stacks from this
// checkout, identical but for TASK_METRICS (on: the method objects count every transition and save
// their counters with the log's groups; off: nothing counted), run the same load round by round —
// on, off, on, off, … — so both see the same machine noise. Per task, from each stack's own
// counters (less the benchmark's metrics reads and completion polls): D1 statements and rows
// written, object rows written (setAlarm included), object statements and object requests. Then
// what one scrape of GET /api/v1/metrics costs the "on" stack (its key lookup, its D1 reads, one
// object request per known method). Called by bench/bench.mjs; returns one JSON section.
//
// With --all-on the "on" stack also has four alert rules with a webhook channel and one completion
// webhook subscription covering every loaded task (delivered to a receiver in this process), so
// on − off is metrics, alerts and one subscription together; deliveries are also reported per
// delivery.
import { createServer } from "node:http";
import { costLines, diff } from "./counters.mjs";
import { expectStatus, log } from "./stack.mjs";
import { round, sleep } from "./stats.mjs";

const SPEC = { method: "demo.noop" };
/** The counters compared, per task. */
const KEYS = ["d1Statements", "d1RowsWritten", "objectRowsWritten", "alarmsSet", "objectStatements", "doRequests"];

const sumInto = (total, delta) => {
  for (const [k, v] of Object.entries(delta)) total[k] = (total[k] ?? 0) + v;
  return total;
};

/**
 * @param {{ on: import("./design.mjs").Design, off: import("./design.mjs").Design, tasks: number,
 *   rounds: number, clients: number, warmup: number, scrapes: number }} p
 */
export async function observabilityBench({ on, off, tasks, rounds, clients, warmup, scrapes, allOn = false }) {
  const designs = [on, off];
  const receiver = allOn ? await startReceiver() : null;
  if (receiver) await switchOnAlertsAndWebhooks(on, receiver.url);
  for (const d of designs) {
    await d.setLimit(SPEC.method, 10);
    if (warmup > 0) await d.managedRun(warmup, clients, [SPEC], `${d.label} warm-up`);
    const perRead = await d.calibrateReads();
    log(`${d.label}: one counters read adds ${JSON.stringify(perRead)}`);
  }
  const windows = new Map(designs.map((d) => [d, { total: {}, n: 0, polls: [] }]));
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(tasks / rounds) + (r < tasks % rounds ? 1 : 0);
    for (const d of designs) {
      const label = `observability: ${d.label} ${r + 1}/${rounds}`;
      log(`${label}: ${n} tasks`);
      const before = await d.settle();
      const pollsBefore = { ...d.polls };
      await d.managedRun(n, clients, [SPEC], label);
      const after = await d.settle();
      if (before.isolates.join() !== after.isolates.join()) {
        throw new Error(`${d.label}: the worker restarted during a round; counters were reset. Run it again.`);
      }
      const w = windows.get(d);
      sumInto(w.total, d.delta(after, before));
      w.polls.push({ before: pollsBefore, after: { ...d.polls } });
      w.n += n;
    }
  }
  const result = {
    tasks_per_stack: tasks,
    rounds,
    clients,
    method: SPEC.method,
    on_stack: allOn ? "metrics, 4 alert rules, 1 webhook subscription covering every task" : "metrics",
    stacks: {},
  };
  for (const d of designs) {
    await d.calibratePolls();
    const w = windows.get(d);
    let net = w.total;
    for (const p of w.polls) net = diff(net, d.pollOverhead(p.before, p.after));
    const perTask = Object.fromEntries(KEYS.map((k) => [k, round((net[k] ?? 0) / w.n, 4)]));
    const all = Object.fromEntries(Object.entries(net).map(([k, v]) => [k, round(v / w.n, 4)]));
    result.stacks[d.label] = { tasks: w.n, per_task: perTask, cost_usd_per_million_tasks: costLines(all, {}).total };
  }
  const a = result.stacks[on.label].per_task;
  const b = result.stacks[off.label].per_task;
  result.on_minus_off_per_task = Object.fromEntries(KEYS.map((k) => [k, round(a[k] - b[k], 4)]));
  if (receiver) {
    // Every task of the on stack (warm-up included) is one delivery; wait until all have arrived.
    const expected = result.stacks[on.label].tasks + warmup;
    for (let i = 0; i < 240 && receiver.count() < expected; i++) await sleep(500);
    const onTasks = result.stacks[on.label].tasks;
    // Every measured task of the on stack made one delivery, so on − off per task is metrics, the
    // rules (nothing per task) and one delivery per task together.
    result.deliveries = { received: receiver.count(), expected, per_measured_task: 1, measured_tasks: onTasks };
    receiver.close();
  }

  // One scrape: the on stack at rest, `scrapes` reads of GET /api/v1/metrics.
  const before = await on.settle();
  let bytes = 0;
  for (let i = 0; i < scrapes; i++) {
    const res = await on.api("GET", "/api/v1/metrics");
    expectStatus(res, 200, "scrape");
    bytes = res.text.length;
  }
  const after = await on.settle();
  const scrape = on.delta(after, before);
  result.per_scrape = {
    scrapes,
    methods_known: expectStatus(await on.api("GET", "/api/v1/metrics?format=json"), 200, "json").methods.length,
    bytes,
    ...Object.fromEntries(KEYS.map((k) => [k, round((scrape[k] ?? 0) / scrapes, 3)])),
    d1RowsRead: round((scrape.d1RowsRead ?? 0) / scrapes, 1),
  };
  return result;
}

/** A webhook receiver in this process: answers 204 and counts what arrives. */
async function startReceiver() {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/hook`, count: () => received, close: () => server.close() };
}

/**
 * The on stack's alert rules (failure rate, dead letters, oldest waiting, dispatcher suspended)
 * with a webhook channel, and one subscription to every end of the loaded method; then waits out
 * the subscriptions cache (WEBHOOK_CACHE_TTL_S, 10 s) so every measured task is covered.
 */
async function switchOnAlertsAndWebhooks(on, url) {
  const ok = (res, what) => expectStatus(res, 201, what);
  const channel = ok(
    await on.api("POST", "/api/v1/alerts/channels", { name: "bench", kind: "webhook", url }),
    "channel",
  );
  const rules = [
    { name: "bench failures", kind: "failure_rate", threshold: 0.5, window: "5m", min_tasks: 3 },
    { name: "bench dead letters", kind: "dead_letters", threshold: 1, window: "15m" },
    { name: "bench backlog", kind: "oldest_waiting", threshold: 600 },
    { name: "bench dispatcher", kind: "dispatcher_suspended", threshold: 5 },
  ];
  for (const rule of rules)
    ok(await on.api("POST", "/api/v1/alerts/rules", { ...rule, channels: [channel.id] }), `rule ${rule.name}`);
  ok(
    await on.api("POST", "/api/v1/webhooks", {
      method: SPEC.method,
      events: ["task.finished", "task.failed", "task.canceled"],
      url,
    }),
    "subscription",
  );
  log("on stack: 4 alert rules, a webhook channel and a subscription to every end of demo.noop");
  await sleep(11_000);
}
