#!/usr/bin/env node
// `npm run bench` (not a test): starts the local stack (switchyard) and a raw queue baseline
// (bench/raw) side by side, each with a throwaway state directory and its own port, runs N no-op
// tasks through the managed path and N messages through the raw send→consume path, and prints ONE
// JSON object to stdout: throughput, latency percentiles, per-task operation counts (from the
// platform's own counters, GET /api/v1/ops/metrics) and the managed/raw throughput ratio.
// Progress goes to stderr. Child processes are always stopped, also on error or Ctrl-C.
//
//   npm run -s bench -- [--tasks N] [--concurrency C] [--clients K] [--warmup W] [--rounds R]
//                       [--history H] [--drain] [--port P] [--keep] [--out FILE]
//   npm run -s bench -- --batch-bench [--batch-size B] [--batch-reps R]      (bench/batch.mjs)
//   npm run -s bench -- --fanout S [--fanout-tasks T] [--fanout-parallel P]  (bench/fanout.mjs)
//   npm run -s bench -- --probe [--probe-requests Q]                         (bench/probe.mjs)
//   npm run -s bench -- --schedules S [--schedule-seconds T]                 (bench/schedules.mjs)
//   npm run -s bench -- --remote N [--rounds R]                              (bench/remote.mjs)
//   npm run bench -- --ui [--tasks N] [--requests R]                          (bench/ui.mjs)
// (`-s` keeps npm's own banner off stdout, so stdout is exactly the JSON.) --batch-bench, --fanout
// and --probe replace the managed-vs-raw rounds; they may be combined.
//
// See docs/benchmarks.md for what the figures mean and how they turn into cost.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, openSync, closeSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { batchBench } from "./batch.mjs";
import { fanoutBench } from "./fanout.mjs";
import { probeBench } from "./probe.mjs";
import { remoteBench } from "./remote.mjs";
import { schedulesBench } from "./schedules.mjs";

// `--ui [--tasks N] [--requests R]`: the console's first tasks page with 100,000 tasks in D1 instead
// (bench/ui.mjs, also `npm run bench:ui`).
if (process.argv.includes("--ui")) {
  await import("./ui.mjs");
  process.exit(0);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const METHOD = "demo.noop";

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: npm run -s bench -- [options]
  --tasks N         tasks (and raw messages) to measure (default 2000)
  --concurrency C   concurrency_limit of ${METHOD} (default 10; 0 = unlimited)
  --clients K       parallel HTTP requests of the load client (default 12)
  --warmup W        tasks/messages run before measuring, not counted (default 50)
  --rounds R        alternate managed and raw in R rounds of N/R each, so both see the same machine noise (default 4)
  --history H       pre-fill the task log with H finished ${METHOD} rows, as retained history would (default 0)
  --drain           also measure dispatch + execution alone: enqueue N with the dispatcher off, then resume
  --port P          port of the switchyard stack (default: a free port)
  --out FILE        also write the JSON to FILE
  --keep            keep the state directory (logs, local D1) and print its path

Other measurements, instead of the managed-vs-raw rounds (combinable):
  --batch-bench     POST /api/v1/tasks/bulk: wall time and D1/DO counts of enqueueing a batch with the
                    dispatcher off (--batch-reps times), then one such batch run to completion
  --batch-size B    tasks per bulk call (default 1000, the API's maximum)
  --batch-reps R    measured bulk calls with the dispatcher off (default 5)
  --fanout S        S WebSocket subscribers on one batch: per-event delivery latency and completeness
  --fanout-tasks T  tasks in that batch (default 50)
  --fanout-parallel P  subscriptions opened in parallel (default 16)
  --probe           request times of health, get task, enqueue (dispatcher off / on) and raw send, one at a
                    time and with --clients in parallel: where an enqueue request's time goes
  --probe-requests Q  requests per kind and phase (default 100)
  --schedules S     S scheduled jobs every 10 s (+ one cron) fire for --schedule-seconds T (default 120):
                    fire lag (enqueue − slot) p50/p99 and one task per slot
  --remote N        N tasks each of an in-Worker method, a remote call and a 202 remote job on the demo
                    Frappe site (started beside the stack), in --rounds: latency p50/p99 and per-task counts`;

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      tasks: { type: "string", default: "2000" },
      concurrency: { type: "string", default: "10" },
      clients: { type: "string", default: "12" },
      warmup: { type: "string", default: "50" },
      history: { type: "string", default: "0" },
      rounds: { type: "string", default: "4" },
      drain: { type: "boolean", default: false },
      out: { type: "string" },
      port: { type: "string" },
      keep: { type: "boolean", default: false },
      "batch-bench": { type: "boolean", default: false },
      "batch-size": { type: "string", default: "1000" },
      "batch-reps": { type: "string", default: "5" },
      fanout: { type: "string" },
      "fanout-tasks": { type: "string", default: "50" },
      "fanout-parallel": { type: "string", default: "16" },
      probe: { type: "boolean", default: false },
      schedules: { type: "string" },
      remote: { type: "string" },
      "schedule-seconds": { type: "string", default: "120" },
      "probe-requests": { type: "string", default: "100" },
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

function intOption(name, min, max) {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const N = intOption("tasks", 1, 100_000);
const CONCURRENCY = intOption("concurrency", 0, 10_000);
const CLIENTS = intOption("clients", 1, 256);
const WARMUP = intOption("warmup", 0, 10_000);
const HISTORY = intOption("history", 0, 10_000_000);
const ROUNDS = Math.min(intOption("rounds", 1, 100), N);
const PORT_OPTION = opts.port === undefined ? undefined : intOption("port", 1, 65_535);
const BATCH_SIZE = intOption("batch-size", 1, 1000);
const BATCH_REPS = intOption("batch-reps", 1, 100);
const FANOUT = opts.fanout === undefined ? 0 : intOption("fanout", 1, 100_000);
const FANOUT_TASKS = intOption("fanout-tasks", 1, 1000);
const FANOUT_PARALLEL = intOption("fanout-parallel", 1, 1000);
const PROBE_REQUESTS = intOption("probe-requests", 1, 10_000);
const SCHEDULES = opts.schedules === undefined ? 0 : intOption("schedules", 1, 1000);
const SCHEDULE_SECONDS = intOption("schedule-seconds", 20, 3600);
const REMOTE = opts.remote === undefined ? 0 : intOption("remote", 10, 100_000);
/** --batch-bench / --fanout / --probe / --schedules / --remote: those measurements instead of the managed-vs-raw rounds. */
const EXTRA_MODE = opts["batch-bench"] || FANOUT > 0 || opts.probe || SCHEDULES > 0 || REMOTE > 0;
/** The raw baseline serves the managed-vs-raw rounds and the probe. */
const RAW_NEEDED = !EXTRA_MODE || opts.probe;

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (...parts) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (x, digits = 2) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Percentiles rounded to whole milliseconds (client-side timings). */
function roundSummary(values) {
  const s = summary(values);
  return { p50: round(s.p50, 0), p99: round(s.p99, 0), max: round(s.max, 0), n: s.n };
}

function summary(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null, n: sorted.length };
}

/** Runs `fn(i)` for i in [0, n) with at most `parallel` calls in flight. */
async function pool(n, parallel, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

// ---------------------------------------------------------------------------------------------
// Child processes (always cleaned up)

const children = new Set();
const childEnv = {
  ...process.env,
  // node_modules/.bin first: wrangler's `#!/usr/bin/env node` then runs on the project's Node 22.
  PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  CI: "1",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};
const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");

/** Starts a child in its own process group, output appended to `logFile`. */
function start(name, args, logFile) {
  const fd = openSync(logFile, "a");
  const child = spawn(wranglerBin, args, { cwd: root, env: childEnv, stdio: ["ignore", fd, fd], detached: true });
  closeSync(fd);
  const entry = { name, child, logFile, exited: false, code: null };
  child.on("exit", (code, signal) => {
    entry.exited = true;
    entry.code = code ?? signal;
  });
  children.add(entry);
  return entry;
}

function killGroup(entry, signal) {
  if (entry.exited || entry.child.pid === undefined) return;
  try {
    process.kill(-entry.child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopAll() {
  const list = [...children];
  for (const entry of list) killGroup(entry, "SIGTERM");
  const deadline = Date.now() + 5_000;
  while (list.some((e) => !e.exited) && Date.now() < deadline) await sleep(100);
  for (const entry of list) killGroup(entry, "SIGKILL");
  children.clear();
}

/**
 * CPU seconds used so far by every process of the children's process groups (wrangler's Node,
 * workerd), by command name, plus this process (bench_s). Linux /proc only; elsewhere only bench_s.
 */
function processCpu() {
  const groups = new Set([...children].map((e) => e.child.pid));
  const out = { bench: process.cpuUsage() };
  const byName = {};
  let pids = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return { bench_s: (out.bench.user + out.bench.system) / 1e6 };
  }
  const tick = 100; // USER_HZ
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" "); // fields[0] is field 3 (state)
    const pgrp = Number(fields[2]);
    if (!groups.has(pgrp)) continue;
    const cpu = (Number(fields[11]) + Number(fields[12])) / tick;
    // Each wrangler dev runs two workerd processes (the Worker's runtime and wrangler's dev proxy in
    // front of it), so those are told apart by pid.
    const key = comm === "workerd" ? `workerd_${pid}` : comm;
    byName[key] = (byName[key] ?? 0) + cpu;
  }
  return { bench_s: (out.bench.user + out.bench.system) / 1e6, ...byName };
}

/** CPU seconds per process name between two processCpu() readings. */
function cpuDelta(after, before) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, round(after[k] - (before[k] ?? 0), 2)]));
}

/** Runs a command to completion; rejects with the log tail on failure. */
function run(name, args, logFile) {
  const entry = start(name, args, logFile);
  return new Promise((resolve, reject) => {
    entry.child.on("exit", (code) => {
      children.delete(entry);
      if (code === 0) resolve();
      else reject(new Error(`${name} exited with ${code}\n${tail(logFile)}`));
    });
  });
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

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
    void cleanup().finally(() => process.exit(130));
  });
}
// Last resort if the process exits some other way: no wrangler/workerd is left behind.
process.on("exit", () => {
  for (const entry of children) killGroup(entry, "SIGKILL");
});

// ---------------------------------------------------------------------------------------------
// HTTP

function client(base, headers = {}) {
  return async function call(method, pathname, body) {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(base + pathname, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        let json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch {
          // not JSON
        }
        return { status: res.status, json, text };
      } catch (error) {
        // Connection reset by a (re)starting dev server: retry a few times, then give up.
        if (attempt >= 5) throw error;
        await sleep(200 * attempt);
      }
    }
  };
}

function expectStatus(res, expected, what) {
  const ok = Array.isArray(expected) ? expected.includes(res.status) : res.status === expected;
  if (!ok) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
  return res.json;
}

async function waitFor(what, probe, entry, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (entry?.exited) throw new Error(`${entry.name} exited (${entry.code}) before ${what}\n${tail(entry.logFile)}`);
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${entry ? `\n${tail(entry.logFile)}` : ""}`);
    }
    await sleep(300);
  }
}

// ---------------------------------------------------------------------------------------------
// Machine description

function versionOf(args) {
  return new Promise((resolve) => {
    const child = spawn(args[0], args.slice(1), { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", () => resolve(null));
    child.on("exit", () => resolve(out.trim().split("\n").at(-1) ?? null));
  });
}

async function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpu_model: cpus[0]?.model ?? null,
    mem_gib: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node_for_wrangler: await versionOf([path.join(root, "node_modules", ".bin", "node"), "--version"]),
    node_for_bench: process.version,
    wrangler: await versionOf([wranglerBin, "--version"]),
    loadavg_at_start: os.loadavg().map((x) => round(x, 2)),
  };
}

// ---------------------------------------------------------------------------------------------
// Metrics

const COUNTERS = ["d1Statements", "d1RowsRead", "d1RowsWritten", "doRequests", "queueMessages"];

/** Sums the counters over distinct isolates (worker and schedulers may share one locally). */
function combine(metrics) {
  const byIsolate = new Map();
  for (const snap of [metrics.worker, ...metrics.schedulers]) byIsolate.set(snap.isolate, snap);
  const total = Object.fromEntries(COUNTERS.map((k) => [k, 0]));
  for (const snap of byIsolate.values()) for (const k of COUNTERS) total[k] += snap[k];
  return { total, isolates: [...byIsolate.keys()].sort() };
}

function diff(after, before) {
  return Object.fromEntries(COUNTERS.map((k) => [k, after[k] - before[k]]));
}

/** Count of wrangler's "QUEUE <queue> <acked>/<size>" lines (one per consumer invocation). */
function queueBatches(logFile, queue, fromByte = 0) {
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

const fileSize = (file) => statSync(file).size;

/**
 * The QUEUE lines for at least `expected` messages. wrangler writes them seconds after the
 * invocations (in bursts), so reading the log right after the run undercounts; waits up to 30 s.
 */
async function awaitQueueBatches(logFile, queue, fromByte, expected) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const counted = queueBatches(logFile, queue, fromByte);
    if (counted.messages >= expected || Date.now() > deadline) return { ...counted, expected };
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------
// Prices (Cloudflare list prices, Workers Paid, marginal: beyond the included monthly usage).
// Sources: developers.cloudflare.com/{d1,durable-objects,queues,workers}/platform/pricing/.

const PRICES = {
  d1_row_written: 1.0 / 1e6,
  d1_row_read: 0.001 / 1e6,
  do_request: 0.15 / 1e6,
  do_gb_s: 12.5 / 1e6,
  do_storage_row_written: 1.0 / 1e6,
  queue_operation: 0.4 / 1e6,
  worker_request: 0.3 / 1e6,
  worker_cpu_ms: 0.02 / 1e6,
};

const ms = (iso) => (iso ? Date.parse(iso) : NaN);

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  stateDir = mkdtempSync(path.join(os.tmpdir(), "switchyard-bench-"));
  const mainState = path.join(stateDir, "main");
  const rawState = path.join(stateDir, "raw");
  const mainLog = path.join(stateDir, "switchyard.log");
  const rawLog = path.join(stateDir, "raw.log");
  const [port, rawPort, inspectorPort, rawInspectorPort, sitePort, siteInspectorPort] = await Promise.all([
    PORT_OPTION ?? freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const random = (n) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join("");
  const adminKey = `${random(20)}:${random(40)}`;
  const info = await machine();
  log(`state ${stateDir}; switchyard :${port}, raw :${rawPort}; ${info.nproc} cores, wrangler ${info.wrangler}`);

  log("applying D1 migrations to the throwaway state");
  await run("migrations", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", mainState], mainLog);
  if (HISTORY > 0) {
    // Finished rows named to sort before every real task id, like the older part of a retained log.
    log(`pre-filling the task log with ${HISTORY} finished ${METHOD} rows`);
    const t = Date.now() - 86_400_000;
    const seed =
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${HISTORY}) ` +
      "INSERT INTO tasks (name, job_name, method, queue, timeout, arguments, status, owner, created_at, queued_at, started_at, ended_at, time_taken, attempt) " +
      `SELECT printf('00history%016d', i), '${METHOD}', '${METHOD}', 'default', 300, '{}', 'Finished', 'Administrator', ${t}, ${t}, ${t}, ${t}, 0, 1 FROM c`;
    await run("history", ["d1", "execute", "DB", "--local", "--persist-to", mainState, "--command", seed], mainLog);
  }

  const devFlags = (p, ip, dir) => [
    "--port",
    String(p),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(ip),
    "--persist-to",
    dir,
    "--show-interactive-dev-session=false",
  ];
  log("starting both stacks (wrangler dev)");
  const mainDev = start(
    "switchyard",
    [
      "dev",
      ...devFlags(port, inspectorPort, mainState),
      "--var",
      `ADMIN_API_KEY:${adminKey}`,
      "--var",
      "DEMO_METHODS:on",
      // Operation counters and GET /api/v1/ops/metrics exist only with METRICS on.
      "--var",
      "METRICS:on",
      // Remote methods (--remote): the demo site is http:// on loopback, and calls back here.
      "--var",
      `REMOTE_SECRETS_KEY:${randomBytes(32).toString("base64")}`,
      "--var",
      "REMOTE_ALLOW_INSECURE_LOCAL:on",
      "--var",
      `PUBLIC_URL:http://127.0.0.1:${port}`,
    ],
    mainLog,
  );
  const rawDev = !RAW_NEEDED
    ? null
    : start("raw", ["dev", "-c", "bench/raw/wrangler.toml", ...devFlags(rawPort, rawInspectorPort, rawState)], rawLog);

  const api = client(`http://127.0.0.1:${port}`, { Authorization: `token ${adminKey}` });
  const raw = client(`http://127.0.0.1:${rawPort}`);
  await Promise.all([
    waitFor("switchyard health", async () => (await api("GET", "/api/v1/health")).status === 200, mainDev),
    rawDev && waitFor("raw worker", async () => (await raw("GET", "/stats")).status === 200, rawDev),
  ]);
  log(rawDev ? "both stacks are up" : "switchyard is up");
  // The demo Frappe site for --remote, started once the stack answers (two wrangler dev processes
  // starting together can race for a port).
  const site =
    REMOTE > 0 ? { url: `http://127.0.0.1:${sitePort}`, secret: `whsec_${randomBytes(32).toString("base64")}` } : null;
  if (site) {
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

  const metricsPath = `/api/v1/ops/metrics?method=${encodeURIComponent(METHOD)}`;
  const metrics = async () => expectStatus(await api("GET", metricsPath), 200, "metrics");

  expectStatus(
    await api("PUT", `/api/v1/task-types/${METHOD}`, { concurrency_limit: CONCURRENCY }),
    200,
    "set concurrency_limit",
  );

  // One managed run: enqueue `n` tasks with CLIENTS parallel requests, wait until none is live.
  const polls = { task: 0, ops: 0 };
  async function managedRun(n, label, requestMs = []) {
    const tasks = new Array(n);
    const t0 = Date.now();
    let done = 0;
    await pool(n, CLIENTS, async (i) => {
      const r0 = performance.now();
      const task = expectStatus(await api("POST", "/api/v1/tasks", { method: METHOD }), 201, "enqueue");
      requestMs.push(performance.now() - r0);
      tasks[i] = task.name;
      if (++done % 500 === 0) log(`${label}: enqueued ${done}/${n}`);
    });
    const enqueuedAt = Date.now();
    await waitDone(tasks, label);
    return { names: tasks, t0, enqueuedAt, doneAt: Date.now(), requestMs };
  }

  async function waitDone(tasks, label) {
    const n = tasks.length;
    // Names are time-sortable and admission is FIFO: wait for the newest task first (one cheap
    // primary-key read per poll), then confirm on the ops summary that nothing is live any more.
    const newest = tasks.reduce((a, b) => (b > a ? b : a));
    const terminal = new Set(["Finished", "Failed", "Canceled"]);
    const deadline = Date.now() + Math.max(120_000, n * 200);
    let lastReport = Date.now();
    for (;;) {
      polls.task += 1;
      const t = expectStatus(await api("GET", `/api/v1/tasks/${newest}`), 200, "poll task");
      if (terminal.has(t.status)) break;
      if (Date.now() > deadline) throw new Error(`${label}: timed out waiting for ${newest}`);
      if (Date.now() - lastReport > 10_000) {
        log(`${label}: waiting for the newest task (${t.status})`);
        lastReport = Date.now();
      }
      await sleep(250);
    }
    for (;;) {
      polls.ops += 1;
      const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
      const m = ops.methods.find((x) => x.method === METHOD);
      const live = m ? m.pending + m.delayed + m.paused + m.queued + m.started : 0;
      if (live === 0) break;
      if (Date.now() > deadline) throw new Error(`${label}: timed out with ${live} live tasks`);
      await sleep(250);
    }
  }

  /** The listed tasks among `names` (newest first, 500 per page). */
  async function listTasks(names) {
    const wanted = new Set(names);
    const found = [];
    let cursor;
    while (wanted.size > 0) {
      const q = `/api/v1/tasks?method=${encodeURIComponent(METHOD)}&limit=500${cursor ? `&cursor=${cursor}` : ""}`;
      const page = expectStatus(await api("GET", q), 200, "list tasks");
      for (const t of page.data) if (wanted.delete(t.name)) found.push(t);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    if (wanted.size > 0) throw new Error(`${wanted.size} measured tasks were not found in the list`);
    return found;
  }

  /** Waits until the counters stop moving (the last completion's scheduler pass has ended). */
  async function settle() {
    let prev = combine(await metrics());
    for (let i = 0; i < 40; i++) {
      await sleep(500);
      const cur = combine(await metrics());
      if (JSON.stringify(cur) === JSON.stringify(prev)) return cur;
      prev = cur;
    }
    return prev;
  }

  // One raw run: `n` messages, `perRequest` messages per POST /send, CLIENTS parallel requests.
  async function rawRun(n, perRequest, label) {
    expectStatus(await raw("POST", "/reset"), 200, "raw reset");
    const requests = Math.ceil(n / perRequest);
    const t0 = Date.now();
    const requestMs = [];
    await pool(requests, CLIENTS, async (i) => {
      const k = Math.min(perRequest, n - i * perRequest);
      const r0 = performance.now();
      expectStatus(await raw("POST", `/send?n=${k}`), 200, "raw send");
      requestMs.push(performance.now() - r0);
    });
    const enqueuedAt = Date.now();
    const deadline = Date.now() + Math.max(120_000, n * 100);
    let stats;
    for (;;) {
      stats = expectStatus(await raw("GET", "/stats"), 200, "raw stats");
      if (stats.received >= n) break;
      if (Date.now() > deadline) throw new Error(`${label}: timed out with ${stats.received}/${n} received`);
      await sleep(100);
    }
    const doneAt = Date.now();
    const { latencies } = expectStatus(await raw("GET", "/stats?latencies=1"), 200, "raw latencies");
    const span = stats.last_received_at - stats.first_sent_at;
    return {
      raw: {
        span,
        received: stats.received,
        batches: stats.batches,
        latencies,
        requestMs,
        send: enqueuedAt - t0,
        wall: doneAt - t0,
      },
      messages: stats.received,
      messages_per_request: perRequest,
      http_requests: requests,
      duration_s: round(span / 1000, 3),
      msgs_per_s: round((stats.received / span) * 1000, 1),
      send_s: round((enqueuedAt - t0) / 1000, 3),
      client_wall_s: round((doneAt - t0) / 1000, 3),
      latency_ms: { send_to_consume: stats.latency_ms, send_request: roundSummary(requestMs) },
      consumer_invocations: stats.batches,
      avg_batch_size: round(stats.received / stats.batches, 2),
    };
  }

  // Warm-up: JIT, D1 file, DO instance, queue consumers; not counted.
  if (WARMUP > 0) {
    log(`warm-up: ${WARMUP} tasks${RAW_NEEDED ? ` and ${WARMUP} raw messages` : ""}`);
    await managedRun(WARMUP, "warm-up");
    if (RAW_NEEDED) await rawRun(WARMUP, 1, "raw warm-up");
  }

  if (EXTRA_MODE) {
    const metricsOf = async (methods) =>
      combine(
        expectStatus(
          await api("GET", `/api/v1/ops/metrics?${methods.map((m) => `method=${encodeURIComponent(m)}`).join("&")}`),
          200,
          "metrics",
        ),
      );
    const ctx = {
      ...{ api, raw, expectStatus, settle, diff, COUNTERS, log, sleep, round, roundSummary, summary, pool, ms, port },
      ...{ processCpu, cpuDelta, metricsOf },
    };
    const isolatesBefore = (await settle()).isolates;
    const probe = opts.probe
      ? await probeBench(ctx, { requests: PROBE_REQUESTS, clients: CLIENTS, method: METHOD })
      : undefined;
    const batch = opts["batch-bench"]
      ? await batchBench(ctx, { size: BATCH_SIZE, reps: BATCH_REPS, method: METHOD })
      : undefined;
    const schedules =
      SCHEDULES > 0
        ? await schedulesBench(ctx, { schedules: SCHEDULES, seconds: SCHEDULE_SECONDS, method: METHOD })
        : undefined;
    const remote =
      REMOTE > 0 && site
        ? await remoteBench(ctx, { tasks: REMOTE, rounds: ROUNDS, clients: CLIENTS, concurrency: CONCURRENCY, site })
        : undefined;
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
    const metricsAfter = await metrics();
    const isolatesAfter = combine(metricsAfter).isolates;
    if (JSON.stringify(isolatesBefore) !== JSON.stringify(isolatesAfter)) {
      throw new Error(
        `the worker restarted during the run (isolates ${isolatesBefore} → ${isolatesAfter}): counters were reset`,
      );
    }
    return {
      benchmark: "switchyard request probe, bulk enqueue, realtime fan-out and scheduled-job fire lag (npm run bench)",
      date: new Date().toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
      machine: info,
      params: {
        method: METHOD,
        concurrency_limit: CONCURRENCY,
        warmup: WARMUP,
        history_rows: HISTORY,
        ...(probe ? { probe_requests: PROBE_REQUESTS, client_parallel_requests: CLIENTS } : {}),
        ...(batch ? { batch_size: BATCH_SIZE, batch_reps: BATCH_REPS } : {}),
        ...(fanout ? { fanout_subscribers: FANOUT, fanout_tasks: FANOUT_TASKS, fanout_parallel: FANOUT_PARALLEL } : {}),
        ...(schedules ? { schedules: SCHEDULES, schedule_seconds: SCHEDULE_SECONDS } : {}),
        ...(remote ? { remote_tasks_per_kind: REMOTE, rounds: ROUNDS, client_parallel_requests: CLIENTS } : {}),
      },
      isolates: {
        worker: metricsAfter.worker.isolate,
        schedulers: metricsAfter.schedulers.map((x) => x.isolate),
        shared: metricsAfter.schedulers.every((x) => x.isolate === metricsAfter.worker.isolate),
        note: "counters are summed once per distinct isolate; locally the RealtimeHub runs in the Worker's isolate too",
        unchanged_during_run: true,
      },
      ...(probe ? { probe } : {}),
      ...(batch ? { batch } : {}),
      ...(fanout ? { fanout } : {}),
      ...(schedules ? { schedules } : {}),
      ...(remote ? { remote } : {}),
      loadavg_at_end: os.loadavg().map((x) => round(x, 2)),
    };
  }

  // ---- measured runs: managed and raw alternate in rounds (same client, same machine noise).
  // The switchyard counters are read once around all rounds: the raw rounds do not touch that stack.
  const before = await settle();
  const metricsBefore = await metrics();
  const logFrom = fileSize(mainLog);
  polls.task = 0;
  polls.ops = 0;
  const managedRounds = [];
  const rawRounds = [];
  const loads = [];
  for (let r = 0; r < ROUNDS; r++) {
    const n = Math.floor(N / ROUNDS) + (r < N % ROUNDS ? 1 : 0);
    log(
      `round ${r + 1}/${ROUNDS}: ${n} tasks of ${METHOD} (concurrency_limit ${CONCURRENCY}), then ${n} raw messages; ${CLIENTS} parallel clients`,
    );
    managedRounds.push(await managedRun(n, `managed ${r + 1}/${ROUNDS}`));
    // One message per request, as the managed run sends one task per request.
    rawRounds.push(await rawRun(n, 1, `raw ${r + 1}/${ROUNDS}`));
    loads.push(round(os.loadavg()[0], 2));
  }
  const after = await settle();
  const metricsAfter = await metrics();
  const managedBatches = await awaitQueueBatches(
    mainLog,
    "switchyard-(short|default|long)",
    logFrom,
    after.total.queueMessages - before.total.queueMessages,
  );
  if (JSON.stringify(before.isolates) !== JSON.stringify(after.isolates)) {
    throw new Error(
      `the worker restarted during the run (isolates ${before.isolates} → ${after.isolates}): counters were reset. ` +
        "Was a file under src/ edited while the benchmark ran? Run it again.",
    );
  }
  const delta = diff(after.total, before.total);

  // Timings of the measured tasks; read after the snapshot, so not counted.
  const allNames = managedRounds.flatMap((m) => m.names);
  const rows = await listTasks(allNames);
  const byName = new Map(rows.map((t) => [t.name, t]));
  const statuses = {};
  for (const t of rows) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
  const roundSpans = managedRounds.map((m) => {
    const rs = m.names.map((name) => byName.get(name));
    const created = rs.map((t) => ms(t.created_at));
    const ended = rs.map((t) => ms(t.ended_at)).filter(Number.isFinite);
    return Math.max(...ended) - Math.min(...created);
  });
  const span = roundSpans.reduce((a, b) => a + b, 0);
  const sumOf = (list, f) => list.reduce((a, x) => a + f(x), 0);

  // What the benchmark's own polling cost (measured now, at rest, on the same requests).
  const calBefore = combine(await metrics());
  const CAL = 5;
  for (let i = 0; i < CAL; i++) await api("GET", `/api/v1/tasks/${allNames[0]}`);
  const calMid = combine(await metrics());
  for (let i = 0; i < CAL; i++) await api("GET", "/api/v1/ops");
  const calAfter = combine(await metrics());
  const perTaskPoll = diff(calMid.total, calBefore.total);
  const perOpsPoll = diff(calAfter.total, calMid.total);
  const overhead = Object.fromEntries(
    COUNTERS.map((k) => [k, (perTaskPoll[k] / CAL) * polls.task + (perOpsPoll[k] / CAL) * polls.ops]),
  );

  // The raw rounds combined.
  const rawSpan = sumOf(rawRounds, (x) => x.raw.span);
  const rawReceived = sumOf(rawRounds, (x) => x.raw.received);
  const rawBatches = sumOf(rawRounds, (x) => x.raw.batches);
  const rawSame = {
    messages: rawReceived,
    messages_per_request: 1,
    http_requests: sumOf(rawRounds, (x) => x.http_requests),
    duration_s: round(rawSpan / 1000, 3),
    msgs_per_s: round((rawReceived / rawSpan) * 1000, 1),
    send_s: round(sumOf(rawRounds, (x) => x.raw.send) / 1000, 3),
    client_wall_s: round(sumOf(rawRounds, (x) => x.raw.wall) / 1000, 3),
    latency_ms: {
      send_to_consume: summary(rawRounds.flatMap((x) => x.raw.latencies)),
      send_request: roundSummary(rawRounds.flatMap((x) => x.raw.requestMs)),
    },
    consumer_invocations: rawBatches,
    avg_batch_size: round(rawReceived / rawBatches, 2),
  };
  const rounds = managedRounds.map((m, i) => ({
    tasks: m.names.length,
    managed_tasks_per_s: round((m.names.length / roundSpans[i]) * 1000, 1),
    raw_msgs_per_s: rawRounds[i].msgs_per_s,
    ratio: round(m.names.length / roundSpans[i] / (rawRounds[i].raw.received / rawRounds[i].raw.span), 3),
    loadavg_1m_after: loads[i],
  }));

  // Informational: the queue's own ceiling, 100 messages per request (sendBatch).
  log(`raw run: ${N} messages, 100 per request (sendBatch)`);
  const { raw: _rawInternals, ...rawBatched } = await rawRun(N, 100, "raw batched");

  // ---- optional drain run: the backlog is enqueued with the dispatcher off (not measured), then
  // the dispatcher resumes and only admission + queue + execution are timed and counted.
  let drain;
  if (opts.drain) {
    log(`drain run: ${N} tasks enqueued with the dispatcher off, then resumed`);
    expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: false }), 200, "suspend dispatcher");
    const names = new Array(N);
    await pool(N, CLIENTS, async (i) => {
      names[i] = expectStatus(await api("POST", "/api/v1/tasks", { method: METHOD }), 201, "enqueue").name;
    });
    const b = await settle();
    const drainLogFrom = fileSize(mainLog);
    const resumedAt = Date.now();
    expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: true }), 200, "resume dispatcher");
    await waitDone(names, "drain");
    const a = await settle();
    const d = diff(a.total, b.total);
    const drained = await listTasks(names);
    const end = Math.max(...drained.map((t) => ms(t.ended_at)).filter(Number.isFinite));
    const batches = await awaitQueueBatches(mainLog, "switchyard-(short|default|long)", drainLogFrom, d.queueMessages);
    drain = {
      note: "dispatch + queue + execution only (enqueue excluded); counts include the resume call and completion polls",
      tasks: drained.length,
      duration_s: round((end - resumedAt) / 1000, 3),
      tasks_per_s: round((drained.length / (end - resumedAt)) * 1000, 1),
      latency_ms: {
        resume_to_started: summary(drained.map((t) => ms(t.started_at) - resumedAt)),
        queued_to_started: summary(drained.map((t) => ms(t.started_at) - ms(t.queued_at))),
        started_to_finished: summary(drained.map((t) => ms(t.ended_at) - ms(t.started_at))),
      },
      consumer_invocations: batches.batches,
      avg_batch_size: batches.batches ? round(batches.messages / batches.batches, 2) : null,
      queue_log_messages: { counted: batches.messages, sent: batches.expected },
      per_task: Object.fromEntries(COUNTERS.map((k) => [k, round(d[k] / N, 3)])),
    };
  }

  // ---- results
  const perTask = (x) => round(x / N, 3);
  const counts = {
    d1_statements: perTask(delta.d1Statements),
    d1_rows_read: perTask(delta.d1RowsRead),
    d1_rows_written: perTask(delta.d1RowsWritten),
    do_requests: perTask(delta.doRequests),
    queue_messages: perTask(delta.queueMessages),
  };
  const tasksPerS = (rows.length / span) * 1000;
  const consumerInvocations = managedBatches.batches;
  // A scheduler pass with no timer due is one D1 batch of 2 statements (admit, next timer; 5 when
  // timers fire, which a run without delays or expired leases hardly sees). Every other statement
  // on the happy path is the enqueue request's key lookup and INSERT and the finish (three per
  // task), the claim (one per consumer invocation) and the benchmark's polls.
  const passes = Math.max(0, (delta.d1Statements - overhead.d1Statements - 3 * N - consumerInvocations) / 2);

  const lines = {
    d1_rows_written: { per_task: counts.d1_rows_written, usd_per_unit: PRICES.d1_row_written },
    d1_rows_read: { per_task: counts.d1_rows_read, usd_per_unit: PRICES.d1_row_read },
    do_requests: { per_task: counts.do_requests, usd_per_unit: PRICES.do_request },
    queue_operations: {
      per_task: round(3 * (delta.queueMessages / N), 3),
      usd_per_unit: PRICES.queue_operation,
      note: "write + read + delete per message (< 64 KB)",
    },
    worker_requests: {
      per_task: round(1 + consumerInvocations / N, 3),
      usd_per_unit: PRICES.worker_request,
      note: "1 enqueue request + queue consumer invocations (counted from wrangler's QUEUE log lines)",
    },
    do_storage_rows_written_est: {
      per_task: round(passes / N, 3),
      usd_per_unit: PRICES.do_storage_row_written,
      note: "setAlarm/deleteAlarm, at most one per scheduler pass; passes estimated from D1 statements",
    },
  };
  let total = 0;
  for (const line of Object.values(lines)) {
    line.usd_per_million_tasks = round(line.per_task * line.usd_per_unit * 1e6, 4);
    total += line.usd_per_million_tasks;
  }

  return {
    benchmark: "switchyard managed tasks vs raw queue (npm run bench)",
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: info,
    params: {
      tasks: N,
      method: METHOD,
      concurrency_limit: CONCURRENCY,
      client_parallel_requests: CLIENTS,
      rounds: ROUNDS,
      warmup: WARMUP,
      history_rows: HISTORY,
      enqueue: "one POST /api/v1/tasks per task",
    },
    managed: {
      tasks: rows.length,
      statuses,
      duration_s: round(span / 1000, 3),
      tasks_per_s: round(tasksPerS, 1),
      enqueue_s: round(sumOf(managedRounds, (m) => m.enqueuedAt - m.t0) / 1000, 3),
      enqueue_request_ms: roundSummary(managedRounds.flatMap((m) => m.requestMs)),
      client_wall_s: round(sumOf(managedRounds, (m) => m.doneAt - m.t0) / 1000, 3),
      latency_ms: {
        enqueue_to_queued: summary(rows.map((t) => ms(t.queued_at) - ms(t.created_at))),
        enqueue_to_started: summary(rows.map((t) => ms(t.started_at) - ms(t.created_at))),
        enqueue_to_finished: summary(rows.map((t) => ms(t.ended_at) - ms(t.created_at))),
      },
      consumer_invocations: consumerInvocations,
      avg_batch_size: consumerInvocations ? round(managedBatches.messages / consumerInvocations, 2) : null,
      queue_log_messages: { counted: managedBatches.messages, sent: managedBatches.expected },
      scheduler_passes_est: Math.round(passes),
    },
    per_task: counts,
    totals: delta,
    isolates: {
      worker: metricsAfter.worker.isolate,
      schedulers: metricsAfter.schedulers.map((s) => s.isolate),
      shared: metricsAfter.schedulers.every((s) => s.isolate === metricsAfter.worker.isolate),
      note: "counters are summed once per distinct isolate",
      unchanged_during_run: metricsBefore.worker.isolate === metricsAfter.worker.isolate,
    },
    bench_overhead: {
      note: "included in per_task: the completion polls (GET /api/v1/tasks/{newest}, then GET /api/v1/ops); metrics reads cost nothing",
      polls,
      per_task: Object.fromEntries(COUNTERS.map((k) => [k, round(overhead[k] / N, 4)])),
    },
    raw: rawSame,
    raw_batched: rawBatched,
    ...(drain ? { drain } : {}),
    rounds,
    ratio: {
      managed_over_raw_throughput: round(tasksPerS / rawSame.msgs_per_s, 3),
      managed_over_raw_batched_throughput: round(tasksPerS / rawBatched.msgs_per_s, 3),
      target: ">= 0.5",
    },
    cost_usd_per_million_tasks: {
      note: "Cloudflare list prices beyond included usage (Workers Paid); excludes CPU time, DO duration, storage and the $5/month base",
      lines,
      total: round(total, 3),
      target: "<= 4",
    },
  };
}

let exitCode = 0;
try {
  const result = await main();
  const json = `${JSON.stringify(result, null, 2)}\n`;
  process.stdout.write(json);
  if (opts.out) writeFileSync(opts.out, json);
} catch (error) {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup(exitCode !== 0);
}
process.exit(exitCode);
