#!/usr/bin/env node
// `npm run bench:shards` (a measurement, not a test): one no-op method over K = 1, 2 and 4 objects
// (`flow_control.shards`), each K on its own local stack (`wrangler dev`, throwaway state), rounds
// interleaved K = 1, 2, 4, 1, 2, 4 … in one session. Per K it reports:
//   throughput  tasks ÷ (last end − first enqueue), from the log's own times; ratio to K = 1 per round
//   per task    D1 statements and rows, object requests and rows, queue messages, $ per million tasks
//               (completion polls subtracted, as in bench:flow)
//   limit       the most tasks running at once across the shards (from the log's started_at/ended_at
//               of every task: goal ≤ --limit), and how the tasks spread over the shards
// Each task is enqueued by its own POST (--clients at once), like `npm run bench`.
//
//   npm run -s bench:shards -- [--tasks 1000] [--rounds 3] [--limit 10] [--clients 12] [--keep]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { costLines, diff, scale } from "./counters.mjs";
import { ms, startSwitchyard } from "./design.mjs";
import { expectStatus, log, stopAll } from "./stack.mjs";
import { maxOverlap, pool, round, sleep } from "./stats.mjs";

const { values: opts } = parseArgs({
  options: {
    tasks: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    limit: { type: "string", default: "10" },
    clients: { type: "string", default: "12" },
    shards: { type: "string", default: "1,2,4" },
    keep: { type: "boolean", default: false },
  },
});
const TASKS = Number(opts.tasks);
const ROUNDS = Number(opts.rounds);
const LIMIT = Number(opts.limit);
const CLIENTS = Number(opts.clients);
const KS = opts.shards.split(",").map(Number);
const METHOD = "demo.noop";
const ADMIN_KEY = "bench:shards-bench-admin-secret";
const state = mkdtempSync(path.join(os.tmpdir(), "switchyard-shards-"));
const cwd = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

const shardOf = (name) => {
  const m = /_([1-9][0-9]?)$/.exec(name);
  return m ? Number(m[1]) : 0;
};

async function resting(design) {
  let prev = await design.counters();
  for (let i = 0; i < 40; i++) {
    await sleep(500);
    const cur = await design.counters();
    if (Object.values(design.delta(cur, prev)).every((v) => v === 0)) return cur;
    prev = cur;
  }
  return prev;
}

async function opsPollCost(design) {
  const a = await resting(design);
  for (let i = 0; i < 5; i++) await design.api("GET", "/api/v1/ops");
  const b = await design.counters();
  return scale(design.delta(b, a), 1 / 5);
}

async function roundOf(k, design, pollCost) {
  const api = design.api;
  const before = await resting(design);
  const names = [];
  await pool(TASKS, CLIENTS, async () => {
    const task = expectStatus(await api("POST", "/api/v1/tasks", { method: METHOD, arguments: {} }), 201, "enqueue");
    names.push(task.name);
  });
  let polls = 0;
  for (;;) {
    polls++;
    const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
    const m = ops.methods.find((x) => x.method === METHOD);
    if (!m || m.pending + m.delayed + m.queued + m.started === 0) break;
    await sleep(250);
  }
  const after = await resting(design);
  const d = diff(design.delta(after, before), scale(pollCost, polls));
  const tasks = [];
  await pool(names.length, CLIENTS, async (i) => {
    tasks.push(expectStatus(await api("GET", `/api/v1/tasks/${names[i]}`), 200, "task"));
  });
  const unfinished = tasks.filter((t) => t.status !== "Finished").length;
  const first = Math.min(...tasks.map((t) => ms(t.created_at)));
  const last = Math.max(...tasks.map((t) => ms(t.ended_at)));
  const spread = {};
  for (const t of tasks) spread[shardOf(t.name)] = (spread[shardOf(t.name)] ?? 0) + 1;
  return {
    k,
    unfinished,
    doubled: tasks.filter((t) => t.attempt !== 1).length,
    tasks_per_s: round(TASKS / ((last - first) / 1000), 1),
    max_running: maxOverlap(tasks.map((t) => ({ start: ms(t.started_at), end: ms(t.ended_at) }))),
    spread,
    perTask: scale(d, 1 / TASKS),
  };
}

try {
  const designs = new Map();
  for (const k of KS) {
    const design = await startSwitchyard({
      label: `shards-${k}`,
      cwd,
      stateDir: path.join(state, `k${k}`),
      logFile: path.join(state, `k${k}.log`),
      adminKey: ADMIN_KEY,
      methods: [METHOD],
    });
    designs.set(k, design);
  }
  const costs = new Map();
  for (const [k, design] of designs) {
    await design.ready();
    expectStatus(
      await design.api("PUT", `/api/v1/task-types/${METHOD}`, {
        concurrency_limit: LIMIT,
        flow_control: { shards: k },
      }),
      200,
      "task type",
    );
    // Wake the shard objects so the counters include them from the start.
    await design.api("GET", `/api/v1/task-types/${METHOD}/flow`);
    await design.calibrateReads();
    costs.set(k, await opsPollCost(design));
  }
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of KS) {
      log(`round ${r + 1}: K = ${k}`);
      rounds.push({ round: r + 1, ...(await roundOf(k, designs.get(k), costs.get(k))) });
    }
  }
  const byK = {};
  for (const k of KS) {
    const list = rounds.filter((x) => x.k === k);
    const per = scale(
      list.reduce(
        (acc, x) => Object.fromEntries(Object.keys(x.perTask).map((key) => [key, (acc[key] ?? 0) + x.perTask[key]])),
        {},
      ),
      1 / list.length,
    );
    const ratios = list.map((x) => {
      const base = rounds.find((y) => y.k === KS[0] && y.round === x.round);
      return round(x.tasks_per_s / base.tasks_per_s, 2);
    });
    byK[k] = {
      tasks_per_s: list.map((x) => x.tasks_per_s),
      ratio_to_k1_per_round: ratios,
      max_running_per_round: list.map((x) => x.max_running),
      limit: LIMIT,
      unfinished: list.reduce((n, x) => n + x.unfinished, 0),
      doubled: list.reduce((n, x) => n + x.doubled, 0),
      spread_last_round: list.at(-1).spread,
      d1_statements: round(per.d1Statements, 3),
      d1_rows_written: round(per.d1RowsWritten, 3),
      do_requests: round(per.doRequests, 3),
      of_which_slot_calls: round(per.slotCalls ?? 0, 3),
      object_rows_written: round(per.objectRowsWritten, 3),
      queue_messages: round(per.queueMessages, 3),
      usd_per_million_tasks: costLines(per).total,
    };
  }
  console.log(
    JSON.stringify(
      {
        started_at: new Date().toISOString(),
        command: `npm run -s bench:shards -- ${process.argv.slice(2).join(" ")}`,
        tasks_per_round: TASKS,
        rounds: ROUNDS,
        clients: CLIENTS,
        by_shards: byK,
      },
      null,
      2,
    ),
  );
} finally {
  await stopAll();
  if (!opts.keep) rmSync(state, { recursive: true, force: true });
}
