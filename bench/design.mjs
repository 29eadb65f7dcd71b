// One switchyard stack under `wrangler dev` (the current checkout, or the old design built from a
// scratch copy of an older commit) and what the benchmark does with it: counters that leave out
// the benchmark's own reads, managed runs, completion polls, task timestamps, the dispatch-only run.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { combine, diff, same, scale, add, zero } from "./counters.mjs";
import {
  client,
  d1Query,
  devFlags,
  expectStatus,
  fileSize,
  freePort,
  log,
  migrate,
  root,
  start,
  stop as stopChild,
  varFlags,
  waitFor,
} from "./stack.mjs";
import { maxOf, pool, sleep } from "./stats.mjs";

const TERMINAL = new Set(["Finished", "Failed", "Canceled"]);
export const ms = (iso) => (iso ? Date.parse(iso) : NaN);

/**
 * A scratch copy of commit `rev` of this repository at `dir` (`git archive`, so the repository's
 * worktrees and refs are left alone), with this checkout's node_modules symlinked in.
 */
export function checkoutRev(rev, dir) {
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync("git", ["-C", root, "archive", "--format=tar", rev], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${rev} failed: ${archive.stderr.toString()}`);
  const untar = spawnSync("tar", ["-x", "-C", dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr.toString()}`);
  if (!existsSync(path.join(dir, "node_modules")))
    symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  const described = spawnSync("git", ["-C", root, "rev-parse", "--short", rev]);
  return described.stdout.toString().trim();
}

/**
 * Starts switchyard from checkout `cwd` with its own state directory, METRICS and the demo methods
 * on, and returns its handle. `methods` are the methods whose objects the counters include;
 * `beforeStart(cwd, stateDir, logFile)` runs after the migrations (e.g. to seed history).
 */
export async function startSwitchyard(options) {
  const { label, cwd, stateDir, logFile, adminKey, methods, extraVars = {}, beforeStart } = options;
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  log(`${label}: applying D1 migrations (${path.relative(root, cwd) || "."})`);
  await migrate(cwd, stateDir, logFile);
  if (beforeStart) await beforeStart(cwd, stateDir, logFile);
  const entry = start(
    `switchyard (${label})`,
    [
      "dev",
      ...devFlags(port, inspectorPort, stateDir),
      ...varFlags({ ADMIN_API_KEY: adminKey, DEMO_METHODS: "on", METRICS: "on", ...extraVars }),
    ],
    logFile,
    cwd,
  );
  const api = client(`http://127.0.0.1:${port}`, { Authorization: `token ${adminKey}` });
  return new Design({ label, cwd, stateDir, logFile, api, port, entry, methods });
}

export class Design {
  constructor({ label, cwd, stateDir, logFile, api, port, entry, methods }) {
    Object.assign(this, { label, cwd, stateDir, logFile, api, port, entry });
    this.methods = [...methods];
    /** Metrics reads so far (each costs the stack one request: see calibrateReads). */
    this.reads = 0;
    /** What one metrics read adds to the counters. */
    this.perRead = null;
    /** Completion polls so far, by kind, and what one of each costs (calibratePolls). */
    this.polls = { task: 0, ops: 0 };
    this.pollCost = null;
  }

  async ready() {
    await waitFor(
      `${this.label} health`,
      async () => (await this.api("GET", "/api/v1/health")).status === 200,
      this.entry,
    );
  }

  async stop() {
    await stopChild(this.entry);
  }

  // ---- counters -------------------------------------------------------------------------------

  /** Adds methods whose objects the counters include (their objects wake on the next read). */
  watch(methods) {
    for (const m of methods) if (!this.methods.includes(m)) this.methods.push(m);
  }

  async metricsRaw() {
    this.reads += 1;
    const q = this.methods.map((m) => `method=${encodeURIComponent(m)}`).join("&");
    return expectStatus(await this.api("GET", `/api/v1/ops/metrics?${q}`), 200, `${this.label} metrics`);
  }

  /** The combined counters now, with the number of reads that includes this one. */
  async counters() {
    const raw = await this.metricsRaw();
    return { ...combine(raw), reads: this.reads, raw };
  }

  /**
   * What one metrics read costs (its request and its API-key lookup): read at rest until three
   * consecutive reads add the same amount.
   */
  async calibrateReads() {
    let prev = await this.counters();
    let last = null;
    let streak = 0;
    for (let i = 0; i < 60 && streak < 3; i++) {
      await sleep(300);
      const cur = await this.counters();
      const d = diff(cur.total, prev.total);
      streak = last && same(d, last) ? streak + 1 : 1;
      last = d;
      prev = cur;
    }
    if (streak < 3) throw new Error(`${this.label}: the counters never came to rest`);
    this.perRead = last;
    return last;
  }

  /** after − before, less the metrics reads in between. */
  delta(after, before) {
    return diff(diff(after.total, before.total), scale(this.perRead, after.reads - before.reads));
  }

  /**
   * Waits until nothing but the metrics reads moves the counters for a second (two reads 500 ms
   * apart): the last completion's work and, in the new design, its log write are done.
   */
  async settle(maxMs = 30_000) {
    let prev = await this.counters();
    let quiet = 0;
    const deadline = Date.now() + maxMs;
    while (quiet < 2 && Date.now() < deadline) {
      await sleep(500);
      const cur = await this.counters();
      quiet = same(this.delta(cur, prev), zero(this.perRead)) ? quiet + 1 : 0;
      prev = cur;
    }
    return prev;
  }

  /** What the completion polls in [before, after] cost, from the calibrated cost of one poll. */
  pollOverhead(pollsBefore, pollsAfter) {
    let total = zero(this.perRead);
    for (const kind of ["task", "ops"]) {
      total = add(total, scale(this.pollCost[kind], pollsAfter[kind] - pollsBefore[kind]));
    }
    return total;
  }

  /**
   * What one completion poll costs, measured at rest: GET /api/v1/tasks/{name} of a live task (a
   * delayed demo.echo, so it stays live) and GET /api/v1/ops.
   */
  async calibratePolls() {
    const CAL = 5;
    const held = expectStatus(
      await this.api("POST", "/api/v1/tasks", {
        method: "demo.echo",
        run_at: new Date(Date.now() + 3_600_000).toISOString(),
      }),
      201,
      "enqueue a delayed task",
    );
    const cost = {};
    for (const [kind, path] of [
      ["task", `/api/v1/tasks/${held.name}`],
      ["ops", "/api/v1/ops"],
    ]) {
      const before = await this.settle();
      for (let i = 0; i < CAL; i++) expectStatus(await this.api("GET", path), 200, `calibrate ${kind}`);
      const after = await this.settle();
      cost[kind] = scale(this.delta(after, before), 1 / CAL);
    }
    await this.api("POST", `/api/v1/tasks/${held.name}/cancel`, {});
    this.pollCost = cost;
    return cost;
  }

  // ---- tasks ----------------------------------------------------------------------------------

  async setLimit(method, limit) {
    expectStatus(
      await this.api("PUT", `/api/v1/task-types/${encodeURIComponent(method)}`, { concurrency_limit: limit }),
      200,
      `${this.label}: set concurrency_limit of ${method}`,
    );
  }

  async dispatcher(enabled) {
    expectStatus(await this.api("PUT", "/api/v1/dispatcher", { enabled }), 200, `${this.label}: dispatcher`);
  }

  /**
   * Enqueues `n` tasks (task i is `specs[i % specs.length]`), one POST per task with `clients` in
   * parallel, and waits until none is live. Returns the names and client-side times.
   */
  async managedRun(n, clients, specs, label) {
    const names = new Array(n);
    const requestMs = [];
    const t0 = Date.now();
    let done = 0;
    await pool(n, clients, async (i) => {
      const r0 = performance.now();
      const task = expectStatus(await this.api("POST", "/api/v1/tasks", specs[i % specs.length]), 201, "enqueue");
      requestMs.push(performance.now() - r0);
      names[i] = task.name;
      if (++done % 500 === 0) log(`${label}: enqueued ${done}/${n}`);
    });
    const enqueuedAt = Date.now();
    await this.waitDone(names, label);
    return { names, t0, enqueuedAt, doneAt: Date.now(), requestMs, requests: n };
  }

  /**
   * Waits for the newest task (one exact read per poll: names are time-sortable and admission is
   * FIFO per method), then for the ops summary to show nothing live in the benchmark's methods.
   */
  async waitDone(names, label) {
    const newest = names.reduce((a, b) => (b.slice(0, 26) > a.slice(0, 26) ? b : a));
    const deadline = Date.now() + Math.max(120_000, names.length * 200);
    let lastReport = Date.now();
    for (;;) {
      this.polls.task += 1;
      const t = expectStatus(await this.api("GET", `/api/v1/tasks/${newest}`), 200, "poll task");
      if (TERMINAL.has(t.status)) break;
      if (Date.now() > deadline) throw new Error(`${label}: timed out waiting for ${newest}`);
      if (Date.now() - lastReport > 10_000) {
        log(`${label}: waiting for the newest task (${t.status})`);
        lastReport = Date.now();
      }
      await sleep(250);
    }
    for (;;) {
      this.polls.ops += 1;
      const ops = expectStatus(await this.api("GET", "/api/v1/ops"), 200, "ops");
      let live = 0;
      for (const m of ops.methods) {
        if (this.methods.includes(m.method)) live += m.pending + m.delayed + m.paused + m.queued + m.started;
      }
      if (live === 0) return;
      if (Date.now() > deadline) throw new Error(`${label}: timed out with ${live} live tasks`);
      await sleep(250);
    }
  }

  /**
   * The listed rows of `names` (of `methods`, created at or after `since` ms), once every one is
   * listed and ended: in the new design lists read the log, which trails the objects by up to
   * about a second, so this polls (up to 20 s) until the log has caught up.
   */
  async listTasks(names, methods, since) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const wanted = new Set(names);
      const found = [];
      for (const method of methods) {
        let cursor;
        do {
          const q =
            `/api/v1/tasks?method=${encodeURIComponent(method)}&limit=500` +
            `&created_after=${encodeURIComponent(new Date(since).toISOString())}${cursor ? `&cursor=${cursor}` : ""}`;
          const page = expectStatus(await this.api("GET", q), 200, "list tasks");
          for (const t of page.data) if (wanted.delete(t.name)) found.push(t);
          cursor = page.next_cursor;
        } while (cursor && wanted.size > 0);
      }
      const unended = found.filter((t) => !TERMINAL.has(t.status)).length;
      if (wanted.size === 0 && unended === 0) return found;
      if (Date.now() > deadline) {
        throw new Error(`${this.label}: ${wanted.size} measured tasks not listed, ${unended} not ended, after 20 s`);
      }
      await sleep(500);
    }
  }

  /** Offset of the stack's log now (queue batches are counted from wrangler's QUEUE lines after it). */
  logOffset() {
    return fileSize(this.logFile);
  }

  /**
   * Dispatch only: `n` tasks of `method` bulk-enqueued (chunks of 1,000) with the dispatcher off,
   * then the dispatcher switched on. Counted from just before the switch to when the counters rest.
   */
  async dispatchOnly(n, method, label) {
    await this.dispatcher(false);
    const names = [];
    try {
      for (let i = 0; i < n; i += 1000) {
        const k = Math.min(1000, n - i);
        const body = expectStatus(
          await this.api("POST", "/api/v1/tasks/bulk", { tasks: Array.from({ length: k }, () => ({ method })) }),
          201,
          "bulk enqueue",
        );
        if (body.enqueued !== k) throw new Error(`${label}: bulk enqueued ${body.enqueued} of ${k}`);
        names.push(...body.tasks.map((t) => t.name));
      }
    } catch (error) {
      await this.dispatcher(true);
      throw error;
    }
    const before = await this.settle();
    const pollsBefore = { ...this.polls };
    const logFrom = this.logOffset();
    const resumedAt = Date.now();
    await this.dispatcher(true);
    await this.waitDone(names, label);
    const after = await this.settle();
    return { names, resumedAt, before, after, pollsBefore, pollsAfter: { ...this.polls }, logFrom };
  }

  /**
   * `logged_at − ended_at` of the named tasks, from this stack's local D1 (the new design's log;
   * the old design has no such column and no lag: D1 was its record).
   */
  async logLag(names, since, logFile) {
    const rows = await d1Query(
      this.cwd,
      this.stateDir,
      `SELECT name, ended_at, logged_at FROM tasks WHERE created_at >= ${Math.floor(since)} AND ended_at IS NOT NULL`,
      logFile,
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    const lags = [];
    let missing = 0;
    for (const name of names) {
      const r = byName.get(name);
      if (!r || r.logged_at === null || r.logged_at === undefined) missing += 1;
      else lags.push(r.logged_at - r.ended_at);
    }
    return { lags, missing };
  }
}

/** Throughput of one round: tasks / (last ended − first created), from server timestamps. */
export function roundSpan(rows) {
  const created = rows.map((t) => ms(t.created_at));
  const ended = rows.map((t) => ms(t.ended_at)).filter(Number.isFinite);
  return maxOf(ended) - created.reduce((a, b) => (b < a ? b : a), Infinity);
}
