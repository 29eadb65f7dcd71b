#!/usr/bin/env node
// `npm run bench:flow` (a measurement, not a test): flow control on one local stack (`wrangler dev`,
// throwaway state, its own port). Prints one JSON report (progress on stderr):
//   fairness   owner A enqueues --flood tasks, then owner B 10 (limit 10, demo.sleep --sleep-ms):
//              B's last start − B's enqueue, ÷ the time 10 tasks take at that limit, fair vs FIFO.
//   throttle   { limit: 20, period: "1s", burst: 5 } with a backlog for --throttle-s seconds: the most
//              admissions (queued_at) and starts (started_at) in any 1 s window vs the GCRA allowance
//              (burst + limit), and the share of the allowance used over the whole run.
//   violations per-key concurrency (2 per customer) and singleton (skip) under load, sampled inside
//              the method's object (GET /task-types/{method}/flow, one instant each): samples over a
//              limit (goal 0).
//   debounce   bursts of 10 tasks per customer: runs per burst (goal 1).
//   cost       controls on vs off, interleaved rounds of --tasks demo.noop tasks enqueued one per call:
//              D1 statements and rows, object rows and requests per task, and $ per million tasks.
//
//   npm run -s bench:flow -- [--flood 5000] [--sleep-ms 200] [--throttle-s 60] [--tasks 1000]
//                            [--rounds 2] [--clients 12] [--port P] [--keep]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { costLines, diff, scale } from "./counters.mjs";
import { ms, startSwitchyard } from "./design.mjs";
import { expectStatus, log, stopAll } from "./stack.mjs";
import { pool, round, sleep } from "./stats.mjs";

const { values: opts } = parseArgs({
  options: {
    flood: { type: "string", default: "5000" },
    "sleep-ms": { type: "string", default: "200" },
    "throttle-s": { type: "string", default: "60" },
    tasks: { type: "string", default: "1000" },
    rounds: { type: "string", default: "2" },
    clients: { type: "string", default: "12" },
    port: { type: "string" },
    keep: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const FLOOD = Number(opts.flood);
const SLEEP_MS = Number(opts["sleep-ms"]);
const THROTTLE_S = Number(opts["throttle-s"]);
const TASKS = Number(opts.tasks);
const ROUNDS = Number(opts.rounds);
const CLIENTS = Number(opts.clients);
const ONLY = opts.only ? new Set(opts.only.split(",")) : null;
const want = (part) => ONLY === null || ONLY.has(part);

const ADMIN_KEY = "bench:flow-bench-admin-secret";
const state = mkdtempSync(path.join(os.tmpdir(), "switchyard-flow-"));
const design = await startSwitchyard({
  label: "flow",
  cwd: path.resolve(path.dirname(new URL(import.meta.url).pathname), ".."),
  stateDir: path.join(state, "state"),
  logFile: path.join(state, "wrangler.log"),
  adminKey: ADMIN_KEY,
  methods: ["demo.noop", "demo.sleep", "demo.customer"],
  port: opts.port ? Number(opts.port) : undefined,
});
const api = design.api;

/** An API key for another owner. */
async function keyFor(user) {
  const created = expectStatus(await api("POST", "/api/v1/api-keys", { user, roles: ["Task User"] }), 201, "key");
  const { client } = await import("./stack.mjs");
  return client(`http://127.0.0.1:${design.port}`, { Authorization: `token ${created.api_key}` });
}

async function taskType(method, body) {
  expectStatus(await api("PUT", `/api/v1/task-types/${method}`, body), 200, `task type ${method}`);
}

/** fn over each item, `parallel` at a time; the results in order. */
async function each(items, parallel, fn) {
  const out = new Array(items.length);
  await pool(items.length, parallel, async (i) => {
    out[i] = await fn(items[i]);
  });
  return out;
}

/** Enqueues `specs` through `as` in bulk calls of 1,000; the names in order. */
async function bulk(as, specs) {
  const names = [];
  for (let i = 0; i < specs.length; i += 1000) {
    const res = expectStatus(await as("POST", "/api/v1/tasks/bulk", { tasks: specs.slice(i, i + 1000) }), 201, "bulk");
    names.push(...res.tasks.map((t) => t.name));
  }
  return names;
}

async function task(name) {
  return expectStatus(await api("GET", `/api/v1/tasks/${name}`), 200, "task");
}

/** Waits until the method's object holds nothing live (ops summary, exact). */
async function drained(method, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
    const m = ops.methods.find((x) => x.method === method);
    if (!m || m.pending + m.delayed + m.paused + m.queued + m.started === 0) return;
    if (Date.now() > deadline) throw new Error(`${method} never drained`);
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------

async function fairness() {
  const owner = await keyFor(`bench-b-${Date.now()}`);
  const out = {};
  for (const mode of ["fair", "fifo"]) {
    await taskType("demo.sleep", {
      concurrency_limit: 10,
      flow_control: mode === "fair" ? {} : { fairness: false },
    });
    // The time 10 tasks take at this limit: 10 alone, enqueue of the first to the last end.
    const ten = await bulk(api, Array(10).fill({ method: "demo.sleep", arguments: { ms: SLEEP_MS } }));
    await drained("demo.sleep");
    const tenTasks = await Promise.all(ten.map(task));
    const tenMs = Math.max(...tenTasks.map((t) => ms(t.ended_at))) - Math.min(...tenTasks.map((t) => ms(t.created_at)));
    log(`fairness (${mode}): A enqueues ${FLOOD}, then B 10`);
    await bulk(api, Array(FLOOD).fill({ method: "demo.sleep", arguments: { ms: SLEEP_MS } }));
    await sleep(2 * SLEEP_MS);
    const bNames = await bulk(owner, Array(10).fill({ method: "demo.sleep", arguments: { ms: SLEEP_MS } }));
    await drained("demo.sleep", 3_600_000);
    const b = await Promise.all(bNames.map(task));
    const bMs = Math.max(...b.map((t) => ms(t.started_at))) - Math.min(...b.map((t) => ms(t.created_at)));
    out[mode] = { ten_tasks_ms: tenMs, b_last_start_ms: bMs, ratio: round(bMs / tenMs, 2) };
  }
  return { flood: FLOOD, task_ms: SLEEP_MS, limit: 10, ...out, goal: "fair ratio <= 2" };
}

/** The most of `times` (ms) in any half-open window of `width`. */
function maxInWindow(times, width) {
  const t = [...times].sort((a, b) => a - b);
  let worst = 0;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (j < t.length && t[j] < t[i] + width) j++;
    worst = Math.max(worst, j - i);
  }
  return worst;
}

async function throttle() {
  const flow = { throttle: { limit: 20, period: "1s", burst: 5 } };
  await taskType("demo.noop", { concurrency_limit: 0, flow_control: flow });
  const names = await bulk(api, Array(20 * THROTTLE_S + 400).fill({ method: "demo.noop", arguments: {} }));
  log(`throttle: backlog of ${names.length}; running ${THROTTLE_S} s`);
  await sleep(THROTTLE_S * 1000 + 2000);
  await taskType("demo.noop", { flow_control: { fairness: false } });
  await drained("demo.noop");
  const tasks = await each(names, CLIENTS, task);
  const queued = tasks.map((t) => ms(t.queued_at)).filter(Number.isFinite);
  const started = tasks.map((t) => ms(t.started_at)).filter(Number.isFinite);
  const first = Math.min(...queued);
  const inRun = queued.filter((t) => t < first + THROTTLE_S * 1000);
  const allowance1s = 5 + 20;
  const allowanceRun = 5 + 20 * THROTTLE_S;
  return {
    settings: flow.throttle,
    seconds: THROTTLE_S,
    max_admissions_in_any_1s: maxInWindow(inRun, 1000),
    max_starts_in_any_1s: maxInWindow(
      started.filter((t) => t < first + THROTTLE_S * 1000 + 1000),
      1000,
    ),
    gcra_allowance_1s: allowance1s,
    admissions_in_run: inRun.length,
    gcra_allowance_run: allowanceRun,
    used_pct: round((100 * inRun.length) / allowanceRun, 1),
    note: "admissions = queued_at (the object's decision); starts = started_at (after queue delivery, which batches)",
  };
}

/** Samples the method's flow usage until `done()`; counts samples over a limit. */
async function sampleUsage(method, over, done) {
  let samples = 0;
  let violations = 0;
  while (!(await done())) {
    const u = expectStatus(await api("GET", `/api/v1/task-types/${method}/flow`), 200, "flow usage");
    samples++;
    if (over(u)) violations++;
    await sleep(20);
  }
  return { samples, violations };
}

async function violations() {
  const customers = Array.from({ length: 10 }, (_, i) => `C${i}`);
  await taskType("demo.customer", {
    concurrency_limit: 20,
    flow_control: { concurrency: [{ key: "arguments.customer", limit: 2 }] },
  });
  const specs = Array.from({ length: 600 }, (_, i) => ({
    method: "demo.customer",
    arguments: { customer: customers[i % 10], ms: 20 + (i % 5) * 10 },
  }));
  await bulk(api, specs);
  let drainedNow = false;
  const perKey = await sampleUsage(
    "demo.customer",
    (u) => u.keys.some((k) => k.running > k.limit) || u.running > 20,
    async () => {
      const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
      const m = ops.methods.find((x) => x.method === "demo.customer");
      drainedNow = !m || m.pending + m.queued + m.started === 0;
      return drainedNow;
    },
  );
  log("violations: singleton (skip) under load");
  await taskType("demo.customer", {
    concurrency_limit: 20,
    flow_control: { singleton: { key: "arguments.customer", mode: "skip" } },
  });
  let stop = false;
  let sent = 0;
  const sender = (async () => {
    while (!stop) {
      await each(customers, 10, (c) =>
        api("POST", "/api/v1/tasks", { method: "demo.customer", arguments: { customer: c, ms: 150 } }),
      );
      sent += customers.length;
    }
  })();
  const until = Date.now() + 15_000;
  const single = await sampleUsage(
    "demo.customer",
    (u) => u.singletons.some((s) => s.running > 1),
    async () => Date.now() > until,
  );
  stop = true;
  await sender;
  await drained("demo.customer");
  await taskType("demo.customer", { flow_control: null });
  return {
    per_key: { tasks: specs.length, limit_per_customer: 2, ...perKey },
    singleton: { tasks_sent: sent, ...single },
    goal: "0 violations",
  };
}

async function debounce() {
  await taskType("demo.customer", {
    concurrency_limit: 0,
    flow_control: { debounce: { key: "arguments.customer", period: "2s", timeout: "10s" } },
  });
  const bursts = 20;
  const names = new Map();
  await each(
    Array.from({ length: bursts }, (_, i) => `D${i}-${Date.now()}`),
    bursts,
    async (customer) => {
      const list = [];
      for (let i = 0; i < 10; i++) {
        const res = expectStatus(
          await api("POST", "/api/v1/tasks", {
            method: "demo.customer",
            arguments: { customer, ms: 0, region: String(i) },
          }),
          [200, 201],
          "enqueue",
        );
        list.push(res.name);
      }
      names.set(customer, list);
    },
  );
  await sleep(3000);
  await drained("demo.customer");
  let runs = 0;
  let lastArgs = 0;
  for (const list of names.values()) {
    const tasks = await Promise.all(list.map(task));
    const ran = tasks.filter((t) => t.status === "Finished");
    runs += ran.length;
    if (ran.length === 1 && ran[0].arguments.region === "9") lastArgs++;
  }
  await taskType("demo.customer", { flow_control: null });
  return { bursts, tasks_per_burst: 10, runs, runs_per_burst: round(runs / bursts, 2), ran_last_arguments: lastArgs };
}

// ---------------------------------------------------------------------------------------------

/** What one completion poll (GET /ops/summary) adds to the counters. */
let pollCost = {};

const CONTROLS_ON = {
  concurrency: [{ key: "owner", limit: 10 }],
  throttle: { limit: 10_000, period: "1s", burst: 1000 },
  rateLimit: { limit: 100_000, period: "1h", key: "owner" },
};

/** Counters now, after they came to rest (the log written, no alarm pending). */
async function restingCounters() {
  let prev = await design.counters();
  for (let i = 0; i < 40; i++) {
    await sleep(500);
    const cur = await design.counters();
    const d = design.delta(cur, prev);
    if (Object.values(d).every((v) => v === 0)) return cur;
    prev = cur;
  }
  return prev;
}

async function costRound(mode) {
  await taskType("demo.noop", {
    concurrency_limit: 10,
    flow_control: mode === "on" ? CONTROLS_ON : { fairness: false },
  });
  const before = await restingCounters();
  await pool(TASKS, CLIENTS, async () =>
    expectStatus(await api("POST", "/api/v1/tasks", { method: "demo.noop", arguments: {} }), 201, "enqueue"),
  );
  const polls = { n: 0 };
  for (;;) {
    polls.n++;
    const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
    const m = ops.methods.find((x) => x.method === "demo.noop");
    if (!m || m.pending + m.queued + m.started === 0) break;
    await sleep(500);
  }
  const after = await restingCounters();
  const d = diff(design.delta(after, before), scale(pollCost, polls.n));
  return { mode, perTask: scale(d, 1 / TASKS), polls: polls.n };
}

async function cost() {
  await design.calibrateReads();
  // What one completion poll costs (GET /ops/summary): measured at rest.
  const a = await restingCounters();
  for (let i = 0; i < 5; i++) await api("GET", "/api/v1/ops");
  const b = await design.counters();
  pollCost = scale(design.delta(b, a), 1 / 5);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++)
    for (const mode of ["off", "on"]) {
      log(`cost: round ${r + 1} (${mode})`);
      rounds.push(await costRound(mode));
    }
  const per = (mode) => {
    const list = rounds.filter((x) => x.mode === mode).map((x) => x.perTask);
    const sum = list.reduce((acc, x) => Object.fromEntries(Object.keys(x).map((k) => [k, (acc[k] ?? 0) + x[k]])), {});
    return scale(sum, 1 / list.length);
  };
  const show = (p) => ({
    d1_statements: round(p.d1Statements, 3),
    d1_rows_written: round(p.d1RowsWritten, 3),
    d1_rows_read: round(p.d1RowsRead, 2),
    object_rows_written: round(p.objectRowsWritten, 3),
    alarms_set: round(p.alarmsSet, 3),
    object_rows_read: round(p.objectRowsRead, 2),
    do_requests: round(p.doRequests, 3),
    queue_messages: round(p.queueMessages, 3),
    usd_per_million_tasks: costLines(p).total,
  });
  return {
    tasks_per_round: TASKS,
    rounds_each: ROUNDS,
    controls_on: CONTROLS_ON,
    off: show(per("off")),
    on: show(per("on")),
    note: "off = { fairness: false }; on = fairness by owner + the settings above; same method, limit 10, interleaved",
  };
}

// ---------------------------------------------------------------------------------------------

try {
  await design.ready();
  const report = {
    started_at: new Date().toISOString(),
    command: `npm run -s bench:flow -- ${process.argv.slice(2).join(" ")}`,
  };
  const parts = { cost, violations, debounce, throttle, fairness };
  for (const [name, fn] of Object.entries(parts)) {
    if (!want(name)) continue;
    try {
      report[name] = await fn();
    } catch (error) {
      report[name] = { error: String(error) };
      log(`${name} failed: ${error}`);
    }
  }
  report.summary = {
    fairness_ratio: report.fairness?.fair
      ? { fair: report.fairness.fair.ratio, fifo: report.fairness.fifo.ratio }
      : null,
    throttle: report.throttle?.gcra_allowance_1s
      ? `${report.throttle.max_admissions_in_any_1s} ≤ ${report.throttle.gcra_allowance_1s}; ${report.throttle.used_pct} % used`
      : null,
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await stopAll();
  if (!opts.keep) rmSync(state, { recursive: true, force: true });
}
