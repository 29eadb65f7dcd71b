// `npm run bench -- --remote N`: what running a method on a remote site costs next to running it in
// the Worker. Called by bench/bench.mjs with the stack and the demo Frappe site running (`ctx`,
// `site`); returns one JSON section.
//
// Three kinds of task alternate in rounds (same client, same machine noise), each run to
// completion under the same concurrency limit: `demo.noop` (in the Worker), the demo site's
// `myapp.api.sync_customer` (a signed call answered at once) and its `myapp.api.long_job` with two
// steps and no wait (202, two progress callbacks, complete). Per kind: end-to-end latency
// (created → ended), time in the attempt (started → ended), and per-task D1 statements, rows and
// Durable Object requests from the platform's own counters (the demo site's work is not counted:
// it is the remote side).
import { ms } from "./design.mjs";
import { expectStatus, log } from "./stack.mjs";
import { pool, round, sleep, summary } from "./stats.mjs";

const KINDS = {
  local: { method: "demo.noop", arguments: {} },
  remote: { method: "bench-site:myapp.api.sync_customer", arguments: { customer: "CUST-0001" } },
  remote_202: { method: "bench-site:myapp.api.long_job", arguments: { steps: 2, step_ms: 0 } },
};

/**
 * @param {object} ctx the running stack from bench/bench.mjs
 * @param {{ tasks: number, rounds: number, clients: number, concurrency: number, site: { url: string, secret: string } }} params
 */
export async function remoteBench(ctx, { tasks, rounds, clients, concurrency, site }) {
  const { api, design, settle, delta } = ctx;
  expectStatus(
    await api("PUT", "/api/v1/remote-targets/bench-site", {
      kind: "frappe",
      base_url: site.url,
      credentials: { api_key: "demo-key", api_secret: "demo-secret" },
      allowed_methods: ["myapp.api.*"],
      signing_secret: site.secret,
    }),
    201,
    "register the demo site",
  );
  const test = expectStatus(await api("POST", "/api/v1/remote-targets/bench-site/test", {}), 200, "test target");
  if (!test.ok) throw new Error(`the demo site's connection test failed: ${test.message}`);
  const methods = Object.values(KINDS).map((k) => k.method);
  for (const method of methods) {
    expectStatus(
      await api("PUT", `/api/v1/task-types/${encodeURIComponent(method)}`, { concurrency_limit: concurrency }),
      200,
      "set concurrency_limit",
    );
  }
  // The counters include the remote methods' objects from now on (their objects wake on this read).
  design.watch(methods);
  await settle();

  /** Enqueues `n` tasks of `kind` and waits (on the ops summary) until none is live; returns their names. */
  async function runKind(kind, n) {
    const spec = KINDS[kind];
    const names = [];
    await pool(n, clients, async () => {
      const task = expectStatus(await api("POST", "/api/v1/tasks", spec), 201, "enqueue");
      names.push(task.name);
    });
    const deadline = Date.now() + Math.max(120_000, n * 500);
    for (;;) {
      const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
      const m = ops.methods.find((x) => x.method === spec.method);
      const live = m ? m.pending + m.delayed + m.paused + m.queued + m.started : 0;
      if (live === 0) return names;
      if (Date.now() > deadline) throw new Error(`${kind}: timed out with ${live} live tasks`);
      await sleep(250);
    }
  }

  /** The rows of `names` (read after the counters, so not counted); every one must have finished. */
  async function rowsOf(kind, names) {
    const wanted = new Set(names);
    const rows = [];
    let cursor;
    while (wanted.size > 0) {
      const q = `/api/v1/tasks?method=${encodeURIComponent(KINDS[kind].method)}&limit=500${cursor ? `&cursor=${cursor}` : ""}`;
      const page = expectStatus(await api("GET", q), 200, "list tasks");
      for (const t of page.data) if (wanted.delete(t.name)) rows.push(t);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    if (wanted.size > 0) throw new Error(`${wanted.size} ${kind} tasks were not found in the list`);
    const bad = rows.find((t) => t.status !== "Finished");
    if (bad) throw new Error(`${kind} task ${bad.name} ended ${bad.status}: ${bad.error_message}`);
    return rows;
  }

  // Warm-up of each kind (JIT, DO instances, the site's isolate), not counted.
  for (const kind of Object.keys(KINDS)) await runKind(kind, 20);

  const results = Object.fromEntries(Object.keys(KINDS).map((k) => [k, { rows: [], ops: null }]));
  const totals = Object.fromEntries(Object.keys(KINDS).map((k) => [k, {}]));
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(tasks / rounds) + (r < tasks % rounds ? 1 : 0);
    for (const kind of Object.keys(KINDS)) {
      log(`remote round ${r + 1}/${rounds}: ${n} ${kind} tasks`);
      const before = await settle();
      const names = await runKind(kind, n);
      const after = await settle();
      results[kind].rows.push(...(await rowsOf(kind, names)));
      if (JSON.stringify(before.isolates) !== JSON.stringify(after.isolates)) {
        throw new Error("the worker restarted during the run: counters were reset");
      }
      for (const [c, v] of Object.entries(delta(after, before))) totals[kind][c] = (totals[kind][c] ?? 0) + v;
    }
  }

  const section = {};
  for (const [kind, { rows }] of Object.entries(results)) {
    const n = rows.length;
    const e2e = summary(rows.map((t) => ms(t.ended_at) - ms(t.created_at)));
    const attempt = summary(rows.map((t) => ms(t.ended_at) - ms(t.started_at)));
    const wait = summary(rows.map((t) => ms(t.started_at) - ms(t.created_at)));
    section[kind] = {
      method: KINDS[kind].method,
      tasks: n,
      created_to_ended_ms: { p50: round(e2e.p50, 1), p99: round(e2e.p99, 1) },
      in_attempt_ms: { p50: round(attempt.p50, 1), p99: round(attempt.p99, 1) },
      created_to_started_ms: { p50: round(wait.p50, 1), p99: round(wait.p99, 1) },
      per_task_raw: Object.fromEntries(Object.entries(totals[kind]).map(([c, v]) => [c, round(v / n, 2)])),
    };
  }
  const overhead = (p) => round(section.remote.created_to_ended_ms[p] - section.local.created_to_ended_ms[p], 1);
  return {
    ...section,
    remote_overhead_ms: { p50: overhead("p50"), p99: overhead("p99") },
    concurrency_limit: concurrency,
    note:
      "per_task_raw counts every D1 statement of the window: the enqueue requests, the platform's work, " +
      "and this benchmark's ops polls (every 250 ms); the demo site runs in its own wrangler dev on the same machine",
  };
}
