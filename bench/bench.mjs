#!/usr/bin/env node
// `npm run bench` (a measurement, not a test). The standard run starts three local stacks with
// `wrangler dev`, each with a throwaway state directory and its own port: switchyard as checked out
// here ("new"), switchyard at an older commit built in a scratch copy ("old", --baseline, default
// 99ab77d: the design that kept every live task in D1) and the raw queue baseline (bench/raw). It
// runs the same load through them round by round — new, old, raw, new, old, raw, … — so all three see
// the same machine noise, then a dispatch-only run (a bulk-enqueued backlog released by switching the
// dispatcher on), also interleaved. It prints a report (per-task operation counts from each stack's
// own counters, $ per million tasks at list prices, throughput, latency, log lag, the goals) and
// writes the whole result as JSON to bench/results/ (git-ignored). Progress goes to stderr; child
// processes are always stopped, also on error or Ctrl-C.
//
//   npm run bench -- [--tasks N] [--clients 1,4,12] [--methods 1,4] [--concurrency C] [--rounds R]
//                    [--dispatch N] [--dispatch-reps R] [--baseline REV | --no-baseline] [--warmup W]
//                    [--history H] [--port P] [--out FILE] [--json] [--keep]
//   npm run -s bench -- --batch-bench [--batch-size B] [--batch-reps R]      (bench/batch.mjs)
//   npm run -s bench -- --fanout S [--fanout-tasks T] [--fanout-parallel P]  (bench/fanout.mjs)
//   npm run -s bench -- --probe [--probe-requests Q]                         (bench/probe.mjs)
//   npm run -s bench -- --schedules S [--schedule-seconds T]                 (bench/schedules.mjs)
//   npm run -s bench -- --remote N [--rounds R]                              (bench/remote.mjs)
//   npm run -s bench -- --alerts N [--rounds R] [--bursts B]                 (bench/alerts.mjs)
//   npm run bench -- --ui [--tasks N] [--requests R]                          (bench/ui.mjs)
//   npm run -s bench -- --observability N [--rounds R] [--scrapes S]         (bench/observability.mjs)
// The other measurements run against the new design only and print JSON (`-s` keeps npm's banner
// off stdout); they may be combined.
//
// See docs/benchmarks.md for what the figures mean and how they turn into cost.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { alertsBench } from "./alerts.mjs";
import { batchBench } from "./batch.mjs";
import { compare, LOAD_METHODS } from "./compare.mjs";
import { COUNTERS } from "./counters.mjs";
import { checkoutRev, ms, startSwitchyard } from "./design.mjs";
import { fanoutBench } from "./fanout.mjs";
import { observabilityBench } from "./observability.mjs";
import { probeBench } from "./probe.mjs";
import { startRaw } from "./raw-queue.mjs";
import { remoteBench } from "./remote.mjs";
import { goals, text } from "./report.mjs";
import { schedulesBench } from "./schedules.mjs";
import {
  client,
  cpuDelta,
  devFlags,
  freePort,
  log,
  machine,
  processCpu,
  root,
  run,
  start,
  stopAll,
  waitFor,
} from "./stack.mjs";
import { round } from "./stats.mjs";

// `--ui [--tasks N] [--requests R]`: the console's first tasks page with 100,000 tasks in D1 instead
// (bench/ui.mjs, also `npm run bench:ui`).
if (process.argv.includes("--ui")) {
  await import("./ui.mjs");
  process.exit(0);
}

const METHOD = "demo.noop";
const RESULTS_DIR = path.join(root, "bench", "results");

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: npm run bench -- [options]
  --tasks N          tasks per design (and raw messages) in each load scenario (default 2000)
  --clients LIST     parallel HTTP requests of the load client, comma-separated scenarios (default 12)
  --methods LIST     methods loaded at once, comma-separated scenarios (default 1): 1 = ${METHOD};
                     4 = the same load spread over ${LOAD_METHODS.map((m) => m.method).join(", ")}
  --concurrency C    concurrency_limit of each loaded method (default 10; 0 = unlimited)
  --rounds R         interleaved rounds per scenario: new, old, raw, new, old, raw, … (default 4)
  --dispatch N       dispatch-only run: N ${METHOD} tasks bulk-enqueued with the dispatcher off, then
                     resumed, timed from the resume to the last ended_at (default 2000; 0 = skip)
  --dispatch-reps R  interleaved repetitions of the dispatch-only run per design (default 2)
  --baseline REV     the old design to compare with, built from this commit in a scratch copy (default 99ab77d)
  --no-baseline      new design and raw queue only
  --warmup W         tasks per design and raw messages before measuring, not counted (default 50)
  --history H        pre-fill each task log with H finished ${METHOD} rows (default 0)
  --port P           port of the new design's stack (default: a free port)
  --out FILE         write the JSON result here (default bench/results/bench-<time>.json)
  --json             print the JSON result instead of the report
  --keep             keep the state directory (logs, local D1s, the old design's copy) and print its path

Other measurements against the new design only, instead of the comparison (combinable; JSON to stdout):
  --batch-bench      POST /api/v1/tasks/bulk: wall time and counts of enqueueing a batch with the
                     dispatcher off (--batch-reps times), then one such batch run to completion
  --batch-size B     tasks per bulk call (default 1000, the API's maximum)
  --batch-reps R     measured bulk calls with the dispatcher off (default 5)
  --fanout S         S WebSocket subscribers on one batch: per-event delivery latency and completeness
  --fanout-tasks T   tasks in that batch (default 50)
  --fanout-parallel P  subscriptions opened in parallel (default 16)
  --probe            request times of health, get task, enqueue (dispatcher off / on) and raw send, one at a
                     time and with the (first) --clients in parallel: where an enqueue request's time goes
  --probe-requests Q requests per kind and phase (default 100)
  --schedules S      S scheduled jobs every 10 s (+ one cron) fire for --schedule-seconds T (default 120):
                     fire lag (enqueue − slot) p50/p99 and one task per slot
  --remote N         N tasks each of an in-Worker method, a remote call and a 202 remote job on the demo
                     Frappe site (started beside the stack), in --rounds: latency p50/p99 and per-task counts
  --ui               the console's first tasks page with 100,000 tasks (bench/ui.mjs)
  --observability N  metrics on vs off: two stacks of this checkout, TASK_METRICS on and off, N demo.noop
                     tasks each in --rounds interleaved (on, off, on, …): per-task D1 statements and rows,
                     object rows and requests; then --scrapes reads of GET /api/v1/metrics (default 20);
                     with --all-on the "on" stack also has 4 alert rules and a webhook subscription
                     that every task's end matches (a receiver in this process takes the deliveries)
  --alerts N         N demo.noop tasks each with alerts and webhooks off, on (no subscription matches) and on
                     (one subscription matches every task), in --rounds: per-task counts and per delivery;
                     then --bursts B failure bursts (default 8): alert latency from incident start, p50/p99`;

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      tasks: { type: "string", default: "2000" },
      clients: { type: "string", default: "12" },
      methods: { type: "string", default: "1" },
      concurrency: { type: "string", default: "10" },
      rounds: { type: "string", default: "4" },
      dispatch: { type: "string", default: "2000" },
      "dispatch-reps": { type: "string", default: "2" },
      baseline: { type: "string", default: "99ab77d" },
      "no-baseline": { type: "boolean", default: false },
      warmup: { type: "string", default: "50" },
      history: { type: "string", default: "0" },
      port: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      "batch-bench": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "1000" },
      "batch-reps": { type: "string", default: "5" },
      fanout: { type: "string" },
      "fanout-tasks": { type: "string", default: "50" },
      "fanout-parallel": { type: "string", default: "16" },
      probe: { type: "boolean", default: false },
      "probe-requests": { type: "string", default: "100" },
      schedules: { type: "string" },
      "schedule-seconds": { type: "string", default: "120" },
      remote: { type: "string" },
      observability: { type: "string" },
      "all-on": { type: "boolean", default: false },
      scrapes: { type: "string", default: "20" },
      alerts: { type: "string" },
      bursts: { type: "string", default: "8" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  }));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.error(USAGE);
  process.exit(0);
}

function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function int(value, name, min, max) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}
const intOption = (name, min, max) => int(opts[name], name, min, max);
const listOption = (name, min, max) => [...new Set(opts[name].split(",").map((x) => int(x.trim(), name, min, max)))];

const N = intOption("tasks", 1, 100_000);
const CLIENTS = listOption("clients", 1, 256);
const METHODS = listOption("methods", 1, LOAD_METHODS.length);
const CONCURRENCY = intOption("concurrency", 0, 10_000);
const ROUNDS = Math.min(intOption("rounds", 1, 100), N);
const DISPATCH = intOption("dispatch", 0, 100_000);
const DISPATCH_REPS = intOption("dispatch-reps", 1, 20);
const WARMUP = intOption("warmup", 0, 10_000);
const HISTORY = intOption("history", 0, 10_000_000);
const PORT_OPTION = opts.port === undefined ? undefined : intOption("port", 1, 65_535);
const BASELINE = opts["no-baseline"] ? null : opts.baseline;
const BATCH_SIZE = intOption("batch-size", 1, 1000);
const BATCH_REPS = intOption("batch-reps", 1, 100);
const FANOUT = opts.fanout === undefined ? 0 : intOption("fanout", 1, 100_000);
const FANOUT_TASKS = intOption("fanout-tasks", 1, 1000);
const FANOUT_PARALLEL = intOption("fanout-parallel", 1, 1000);
const PROBE_REQUESTS = intOption("probe-requests", 1, 10_000);
const SCHEDULES = opts.schedules === undefined ? 0 : intOption("schedules", 1, 1000);
const SCHEDULE_SECONDS = intOption("schedule-seconds", 20, 3600);
const REMOTE = opts.remote === undefined ? 0 : intOption("remote", 10, 100_000);
const OBSERVABILITY = opts.observability === undefined ? 0 : intOption("observability", 10, 100_000);
const SCRAPES = intOption("scrapes", 1, 1000);
const ALERTS = opts.alerts === undefined ? 0 : intOption("alerts", 30, 100_000);
const BURSTS = intOption("bursts", 0, 100);
/** --batch-bench / --fanout / --probe / --schedules / --remote / --alerts: those measurements instead of the comparison. */
const EXTRA_MODE = opts["batch-bench"] || FANOUT > 0 || opts.probe || SCHEDULES > 0 || REMOTE > 0 || ALERTS > 0;

// ---------------------------------------------------------------------------------------------
// State and cleanup

let stateDir;
let cleaningUp = false;
async function cleanup(failed = false) {
  if (cleaningUp) return;
  cleaningUp = true;
  await stopAll();
  if (stateDir && !opts.keep && !failed) rmSync(stateDir, { recursive: true, force: true });
  else if (stateDir) log(`state and logs kept in ${stateDir}`);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup(true).finally(() => process.exit(130));
  });
}

/** Finished rows named to sort before every real task id, like the older part of a retained log. */
async function seedHistory(cwd, state, logFile) {
  log(`pre-filling the task log with ${HISTORY} finished ${METHOD} rows`);
  const t = Date.now() - 86_400_000;
  const seed =
    `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${HISTORY}) ` +
    "INSERT INTO tasks (name, job_name, method, queue, timeout, arguments, status, owner, created_at, queued_at, started_at, ended_at, time_taken, attempt) " +
    `SELECT printf('00history%016d', i), '${METHOD}', '${METHOD}', 'default', 300, '{}', 'Finished', 'Administrator', ${t}, ${t}, ${t}, ${t}, 0, 1 FROM c`;
  await run("history", ["d1", "execute", "DB", "--local", "--persist-to", state, "--command", seed], logFile, cwd);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  stateDir = mkdtempSync(path.join(os.tmpdir(), "switchyard-bench-"));
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const random = (n) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join("");
  const adminKey = `${random(20)}:${random(40)}`;
  const info = await machine();
  const newRev = gitRev("HEAD");
  const dirty = gitDirty();
  log(
    `state ${stateDir}; ${info.nproc} cores, wrangler ${info.wrangler}; new = ${newRev}${dirty ? " (+ uncommitted changes)" : ""}`,
  );

  const port = PORT_OPTION ?? (await freePort());
  const methods = LOAD_METHODS.map((m) => m.method);
  if (OBSERVABILITY > 0) return metricsOnOff({ adminKey, info, newRev, port, methods });
  const newDesign = await startSwitchyard({
    label: "new",
    cwd: root,
    stateDir: path.join(stateDir, "new"),
    logFile: path.join(stateDir, "new.log"),
    adminKey,
    methods,
    port,
    beforeStart: HISTORY > 0 ? seedHistory : undefined,
    extraVars: {
      // Remote methods (--remote): the demo site is http:// on loopback, and calls back here.
      REMOTE_SECRETS_KEY: randomBytes(32).toString("base64"),
      REMOTE_ALLOW_INSECURE_LOCAL: "on",
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
  });
  const rawNeeded = !EXTRA_MODE || opts.probe;
  const raw = rawNeeded
    ? await startRaw({ stateDir: path.join(stateDir, "raw"), logFile: path.join(stateDir, "raw.log") })
    : null;
  await Promise.all([newDesign.ready(), raw?.ready()]);
  log(`new design up on :${newDesign.port}${raw ? `, raw queue on :${raw.port}` : ""}`);

  if (EXTRA_MODE) return extraModes({ d: newDesign, raw, info, newRev, adminKey });

  // The old design, from a scratch copy of its commit (started after the others: wrangler dev
  // processes starting together can race for a port).
  let oldDesign = null;
  let oldRev = null;
  if (BASELINE) {
    const oldDir = path.join(stateDir, "old-src");
    oldRev = checkoutRev(BASELINE, oldDir);
    log(`old design: ${BASELINE} (${oldRev}) copied to ${oldDir}, node_modules symlinked`);
    oldDesign = await startSwitchyard({
      label: "old",
      cwd: oldDir,
      stateDir: path.join(stateDir, "old"),
      logFile: path.join(stateDir, "old.log"),
      adminKey,
      methods,
      beforeStart: HISTORY > 0 ? seedHistory : undefined,
    });
    await oldDesign.ready();
    log(`old design up on :${oldDesign.port}`);
  }
  const designs = [newDesign, oldDesign].filter(Boolean);
  for (const d of designs) {
    await d.calibrateReads();
    for (const m of methods) await d.setLimit(m, CONCURRENCY);
  }

  const scenarios = CLIENTS.flatMap((clients) => METHODS.map((m) => ({ clients, methods: m })));
  const measured = await compare({
    designs,
    raw,
    scenarios,
    tasks: N,
    rounds: ROUNDS,
    warmup: WARMUP,
    dispatch: DISPATCH > 0 ? { tasks: DISPATCH, reps: DISPATCH_REPS } : null,
  });
  const result = {
    benchmark: "switchyard new design vs old design vs raw queue, interleaved (npm run bench)",
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: { ...info, loadavg_at_end: os.loadavg().map((x) => round(x, 2)) },
    designs: {
      new: { rev: newRev, uncommitted_changes: dirty, source: "this checkout" },
      ...(oldDesign ? { old: { rev: oldRev, baseline: BASELINE, source: "git archive into a scratch copy" } } : {}),
    },
    params: {
      tasks_per_design_per_scenario: N,
      clients: CLIENTS,
      methods: METHODS,
      concurrency_limit: CONCURRENCY,
      rounds: ROUNDS,
      warmup: WARMUP,
      history_rows: HISTORY,
      dispatch_only: DISPATCH > 0 ? { tasks: DISPATCH, reps: DISPATCH_REPS } : null,
      enqueue: "one POST /api/v1/tasks per task",
    },
    ...measured,
  };
  result.goals = goals(result);
  return result;
}

/** --batch-bench / --fanout / --probe / --schedules / --remote, against the new design. */
async function extraModes({ d, raw, info, newRev }) {
  let site = null;
  if (REMOTE > 0 || ALERTS > 0) {
    // The demo Frappe site, started once the stack answers (two wrangler dev processes starting
    // together can race for a port).
    const [sitePort, siteInspectorPort] = [await freePort(), await freePort()];
    site = { url: `http://127.0.0.1:${sitePort}`, secret: `whsec_${randomBytes(32).toString("base64")}` };
    const siteDev = start(
      "demo-frappe",
      [
        "dev",
        "-c",
        "sites/demo-frappe/wrangler.toml",
        ...devFlags(sitePort, siteInspectorPort, path.join(stateDir, "site")),
        "--var",
        `DEMO_FRAPPE_SIGNING_SECRET:${site.secret}`,
      ],
      path.join(stateDir, "site.log"),
    );
    const ping = client(site.url);
    await waitFor("demo Frappe site", async () => (await ping("GET", "/__calls")).status === 200, siteDev);
    log("the demo Frappe site is up");
  }
  await d.calibrateReads();
  await d.setLimit(METHOD, CONCURRENCY);
  if (WARMUP > 0) {
    log(`warm-up: ${WARMUP} tasks${raw ? ` and ${WARMUP} raw messages` : ""}`);
    await d.managedRun(WARMUP, 12, [{ method: METHOD }], "warm-up");
    if (raw) await raw.run(WARMUP, 1, 12, "raw warm-up");
  }
  await d.calibrateReads();
  const ctx = {
    api: d.api,
    raw: raw?.raw,
    port: d.port,
    design: d,
    settle: () => d.settle(),
    delta: (after, before) => d.delta(after, before),
    COUNTERS,
    log,
    ms,
    processCpu,
    cpuDelta,
  };
  const clients = CLIENTS[0];
  const isolatesBefore = (await d.settle()).isolates;
  const probe = opts.probe ? await probeBench(ctx, { requests: PROBE_REQUESTS, clients, method: METHOD }) : undefined;
  const batch = opts["batch-bench"]
    ? await batchBench(ctx, { size: BATCH_SIZE, reps: BATCH_REPS, method: METHOD })
    : undefined;
  const schedules =
    SCHEDULES > 0
      ? await schedulesBench(ctx, { schedules: SCHEDULES, seconds: SCHEDULE_SECONDS, method: METHOD })
      : undefined;
  const remote =
    REMOTE > 0
      ? await remoteBench(ctx, { tasks: REMOTE, rounds: ROUNDS, clients, concurrency: CONCURRENCY, site })
      : undefined;
  const alerts =
    ALERTS > 0 ? await alertsBench(ctx, { tasks: ALERTS, rounds: ROUNDS, clients, bursts: BURSTS, site }) : undefined;
  let fanout;
  if (FANOUT > 0) {
    const { result, close } = await fanoutBench(ctx, {
      subscribers: FANOUT,
      tasks: FANOUT_TASKS,
      parallel: FANOUT_PARALLEL,
      method: METHOD,
    });
    fanout = result;
    await close();
  }
  const after = await d.counters();
  if (isolatesBefore.join() !== after.isolates.join()) {
    throw new Error(
      `the worker restarted during the run (isolates ${isolatesBefore} → ${after.isolates}): counters were reset`,
    );
  }
  return {
    benchmark:
      "switchyard request probe, bulk enqueue, realtime fan-out, scheduled-job fire lag, remote methods (npm run bench)",
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: info,
    designs: { new: { rev: newRev } },
    params: {
      method: METHOD,
      concurrency_limit: CONCURRENCY,
      warmup: WARMUP,
      history_rows: HISTORY,
      ...(probe ? { probe_requests: PROBE_REQUESTS, client_parallel_requests: clients } : {}),
      ...(batch ? { batch_size: BATCH_SIZE, batch_reps: BATCH_REPS } : {}),
      ...(fanout ? { fanout_subscribers: FANOUT, fanout_tasks: FANOUT_TASKS, fanout_parallel: FANOUT_PARALLEL } : {}),
      ...(schedules ? { schedules: SCHEDULES, schedule_seconds: SCHEDULE_SECONDS } : {}),
      ...(remote ? { remote_tasks_per_kind: REMOTE, rounds: ROUNDS, client_parallel_requests: clients } : {}),
      ...(alerts
        ? { alerts_tasks_per_setup: ALERTS, rounds: ROUNDS, bursts: BURSTS, client_parallel_requests: clients }
        : {}),
    },
    isolates: {
      distinct: after.isolates,
      note: "counters are summed once per distinct isolate; locally the Worker and the objects share one",
      unchanged_during_run: true,
    },
    metrics_read_cost: d.perRead,
    ...(probe ? { probe } : {}),
    ...(batch ? { batch } : {}),
    ...(fanout ? { fanout } : {}),
    ...(schedules ? { schedules } : {}),
    ...(remote ? { remote } : {}),
    ...(alerts ? { alerts } : {}),
    loadavg_at_end: os.loadavg().map((x) => round(x, 2)),
  };
}

/** --observability: two stacks of this checkout, TASK_METRICS on and off, interleaved round by round. */
async function metricsOnOff({ adminKey, info, newRev, port, methods }) {
  const stack = (label, metrics, p) =>
    startSwitchyard({
      label,
      cwd: root,
      stateDir: path.join(stateDir, label),
      logFile: path.join(stateDir, `${label}.log`),
      adminKey,
      methods,
      port: p,
      extraVars: { TASK_METRICS: metrics, REMOTE_ALLOW_INSECURE_LOCAL: "on" },
    });
  // One after the other: wrangler dev processes starting together can race for a port.
  const on = await stack("metrics-on", "on", port);
  await on.ready();
  const off = await stack("metrics-off", "off");
  await off.ready();
  log(`metrics-on up on :${on.port}, metrics-off on :${off.port}`);
  const measured = await observabilityBench({
    on,
    off,
    tasks: OBSERVABILITY,
    rounds: ROUNDS,
    clients: CLIENTS[0],
    warmup: WARMUP,
    scrapes: SCRAPES,
    allOn: opts["all-on"],
  });
  return {
    benchmark: "metrics on vs off, interleaved (npm run bench -- --observability N)",
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: { ...info, loadavg_at_end: os.loadavg().map((x) => round(x, 2)) },
    designs: { new: { rev: newRev } },
    observability: measured,
  };
}

function gitRev(rev) {
  return spawnSync("git", ["-C", root, "rev-parse", "--short", rev]).stdout.toString().trim();
}

/** Whether the new design's code differs from its commit (then the rev alone does not describe it). */
function gitDirty() {
  const status = spawnSync("git", ["-C", root, "status", "--porcelain", "--", "src", "migrations", "wrangler.toml"]);
  return status.stdout.toString().trim() !== "";
}

let exitCode = 0;
try {
  const result = await main();
  const json = `${JSON.stringify(result, null, 2)}\n`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = opts.out ?? path.join(RESULTS_DIR, `bench-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(out, json);
  log(`result written to ${path.relative(process.cwd(), out) || out}`);
  if (EXTRA_MODE || OBSERVABILITY > 0 || opts.json) process.stdout.write(json);
  else process.stdout.write(`${text(result)}\n`);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup(exitCode !== 0);
}
process.exit(exitCode);
