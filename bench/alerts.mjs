// `npm run bench -- --alerts N` (also `npm run bench:alerts`): what alerts and completion webhooks
// cost, and how soon an alert arrives. Called by bench/bench.mjs with the stack and the demo Frappe
// site (its webhook receiver) running; returns one JSON section.
//
// (a) Cost, three set-ups interleaved round by round (same client, same machine noise), N
//     `demo.noop` tasks each: `off` (no rules, no subscriptions), `on_unmatched` (alert rules and a
//     channel, and one enabled subscription for another method: what every task pays when nothing
//     matches) and `on_matched` (the same, with the subscription covering the loaded method, so every
//     task's end is a delivery). Per task: D1 statements and rows, object rows and requests, from the
//     platform's own counters; per delivery: what `on_matched` adds over `off`, divided by deliveries.
// (b) Latency: bursts of failures, each of a method of its own (a remote method the demo site does
//     not have, which fails at once), under one global failure_rate rule; the bench fires the cron's
//     scheduled handler at every minute boundary, as Cloudflare does, and starts burst b at
//     (b + ½)/B of a minute, so the bursts sample the minute evenly. Per burst: from the first
//     failure's ended_at (the incident start) to the firing notice's arrival at the receiver.
import { randomBytes } from "node:crypto";
import { ms } from "./design.mjs";
import { expectStatus, log } from "./stack.mjs";
import { pool, round, sleep, summary } from "./stats.mjs";

const LOADED = "demo.noop";
const OTHER = "demo.echo";
/** The subscriptions cache's lifetime (WEBHOOK_CACHE_TTL_S) plus a margin: a toggle applies within it. */
const CACHE_WAIT_MS = 11_000;

/**
 * @param {object} ctx the running stack from bench/bench.mjs
 * @param {{ tasks: number, rounds: number, clients: number, bursts: number, site: { url: string } }} params
 */
export async function alertsBench(ctx, { tasks, rounds, clients, bursts, site }) {
  const { api, design, settle, delta } = ctx;
  const inbox = (name) => `${site.url}/hooks/${name}`;
  const received = async (name) => {
    const res = await fetch(`${site.url}/__hooks/${name}`);
    return (await res.json()).received;
  };
  const hookName = `bench-${randomBytes(4).toString("hex")}`;

  // The remote target whose unknown methods fail at once (the latency bursts).
  expectStatus(
    await api("PUT", "/api/v1/remote-targets/alert-site", {
      kind: "frappe",
      base_url: site.url,
      credentials: { api_key: "demo-key", api_secret: "demo-secret" },
      allowed_methods: ["myapp.api.*"],
    }),
    [200, 201],
    "register the demo site",
  );
  const channel = expectStatus(
    await api("POST", "/api/v1/alerts/channels", { name: "bench", kind: "webhook", url: inbox(`${hookName}-alerts`) }),
    201,
    "alert channel",
  );
  const ruleSpecs = [
    {
      name: "bench failures",
      kind: "failure_rate",
      threshold: 0.5,
      window: "5m",
      min_tasks: 3,
      channels: [channel.id],
    },
    { name: "bench dead letters", kind: "dead_letters", threshold: 1, window: "15m", channels: [channel.id] },
    { name: "bench backlog", kind: "oldest_waiting", threshold: 600, channels: [channel.id] },
    { name: "bench dispatcher", kind: "dispatcher_suspended", threshold: 5, channels: [channel.id] },
  ];
  const rules = [];
  const setRules = async (enabled) => {
    if (rules.length === 0 && enabled) {
      for (const spec of ruleSpecs)
        rules.push(expectStatus(await api("POST", "/api/v1/alerts/rules", spec), 201, "rule"));
      return;
    }
    for (const r of rules) expectStatus(await api("PATCH", `/api/v1/alerts/rules/${r.id}`, { enabled }), 200, "rule");
  };
  const sub = expectStatus(
    await api("POST", "/api/v1/webhooks", {
      method: OTHER,
      events: ["task.finished", "task.failed", "task.canceled"],
      url: inbox(`${hookName}-other`),
      enabled: false,
    }),
    201,
    "subscription (other method)",
  );
  const matched = expectStatus(
    await api("POST", "/api/v1/webhooks", {
      method: LOADED,
      events: ["task.finished", "task.failed", "task.canceled"],
      url: inbox(`${hookName}-loaded`),
      enabled: false,
    }),
    201,
    "subscription (loaded method)",
  );
  const SETUPS = {
    off: { rules: false, other: false, loaded: false },
    on_unmatched: { rules: true, other: true, loaded: false },
    on_matched: { rules: true, other: true, loaded: true },
  };
  let current = null;
  async function apply(name) {
    const s = SETUPS[name];
    if (current === name) return;
    await setRules(s.rules);
    expectStatus(await api("PATCH", `/api/v1/webhooks/${sub.id}`, { enabled: s.other }), 200, "toggle");
    expectStatus(await api("PATCH", `/api/v1/webhooks/${matched.id}`, { enabled: s.loaded }), 200, "toggle");
    current = name;
    await sleep(CACHE_WAIT_MS);
  }

  async function runTasks(n) {
    const names = [];
    await pool(n, clients, async () => {
      names.push(expectStatus(await api("POST", "/api/v1/tasks", { method: LOADED }), 201, "enqueue").name);
    });
    const deadline = Date.now() + Math.max(120_000, n * 500);
    for (;;) {
      const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
      const m = ops.methods.find((x) => x.method === LOADED);
      if (!m || m.pending + m.delayed + m.paused + m.queued + m.started === 0) return names;
      if (Date.now() > deadline) throw new Error("alerts bench: tasks did not end in time");
      await sleep(250);
    }
  }

  design.watch([LOADED, OTHER]);
  await runTasks(20); // warm-up
  const totals = Object.fromEntries(Object.keys(SETUPS).map((k) => [k, { tasks: 0, counters: {} }]));
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(tasks / rounds) + (r < tasks % rounds ? 1 : 0);
    for (const name of Object.keys(SETUPS)) {
      await apply(name);
      log(`alerts round ${r + 1}/${rounds}: ${n} tasks, ${name}`);
      const before = await settle();
      await runTasks(n);
      const after = await settle();
      if (JSON.stringify(before.isolates) !== JSON.stringify(after.isolates)) {
        throw new Error("the worker restarted during the run: counters were reset");
      }
      totals[name].tasks += n;
      for (const [c, v] of Object.entries(delta(after, before))) {
        totals[name].counters[c] = (totals[name].counters[c] ?? 0) + v;
      }
    }
  }
  // Deliveries the matched rounds made (read after the counters, so not counted).
  let deliveries = 0;
  let delivered = 0;
  for (let cursor = ""; ;) {
    const page = expectStatus(
      await api("GET", `/api/v1/webhooks/${matched.id}/deliveries?limit=500${cursor ? `&cursor=${cursor}` : ""}`),
      200,
      "deliveries",
    );
    deliveries += page.data.length;
    delivered += page.data.filter((d) => d.status === "delivered").length;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const perTask = (name) =>
    Object.fromEntries(Object.entries(totals[name].counters).map(([c, v]) => [c, round(v / totals[name].tasks, 3)]));
  const cost = Object.fromEntries(
    Object.keys(SETUPS).map((name) => [name, { tasks: totals[name].tasks, per_task: perTask(name) }]),
  );
  const perDelivery = Object.fromEntries(
    Object.keys(totals.on_matched.counters).map((c) => [
      c,
      deliveries === 0
        ? null
        : round(
            (totals.on_matched.counters[c] -
              (totals.off.counters[c] ?? 0) * (totals.on_matched.tasks / totals.off.tasks)) /
              deliveries,
            3,
          ),
    ]),
  );
  await apply("off");

  // (b) Alert latency.
  const latency = bursts > 0 ? await alertLatency(ctx, { bursts, channel, hookName, received }) : null;
  for (const r of rules) await api("DELETE", `/api/v1/alerts/rules/${r.id}`);
  return {
    cost,
    per_delivery: perDelivery,
    deliveries: { made: deliveries, delivered, in_matched_rounds: totals.on_matched.tasks },
    ...(latency ? { alert_latency: latency } : {}),
    note:
      "per_task counts every D1 statement of the window: enqueue requests, the platform's work and this " +
      "benchmark's ops polls (every 250 ms); per_delivery = (on_matched − off, scaled to the same tasks) / deliveries. " +
      "Alert rules cost nothing per task: they are read by the minute cron only.",
  };
}

/** Bursts of failures → the firing notice at the receiver, with the cron fired at each minute boundary. */
async function alertLatency(ctx, { bursts, channel, hookName, received }) {
  const { api, port } = ctx;
  const rule = expectStatus(
    await api("POST", "/api/v1/alerts/rules", {
      name: "bench latency",
      kind: "failure_rate",
      threshold: 0.5,
      window: "5m",
      min_tasks: 3,
      channels: [channel.id],
    }),
    201,
    "latency rule",
  );
  // Cloudflare fires "* * * * *" at each minute boundary: so does this loop, until the bursts are done.
  let cronOn = true;
  const crons = [];
  const cronLoop = (async () => {
    while (cronOn) {
      await sleep(60_000 - (Date.now() % 60_000));
      if (!cronOn) break;
      const at = Date.now();
      await fetch(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(
        () => {},
      );
      crons.push(at);
    }
  })();
  const samples = [];
  try {
    for (let b = 0; b < bursts; b++) {
      // Burst b starts (b + ½) / bursts of the way into a minute: the bursts sample the minute
      // evenly, as failures arriving at any moment would.
      const offset = Math.round(((b + 0.5) / bursts) * 60_000);
      const now = Date.now();
      let startAt = now - (now % 60_000) + offset;
      while (startAt < now + 1_000) startAt += 60_000;
      await sleep(startAt - now);
      const method = `alert-site:myapp.api.missing_${randomBytes(3).toString("hex")}`;
      log(`alert latency: burst ${b + 1}/${bursts} on ${method}`);
      const names = [];
      for (let i = 0; i < 4; i++) {
        names.push(expectStatus(await api("POST", "/api/v1/tasks", { method, max_retries: 0 }), 201, "enqueue").name);
      }
      let ended = [];
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(200)) {
        const rows = await Promise.all(
          names.map(async (n) => expectStatus(await api("GET", `/api/v1/tasks/${n}`), 200, "task")),
        );
        if (rows.every((t) => t.status === "Failed")) {
          ended = rows.map((t) => ms(t.ended_at));
          break;
        }
      }
      if (ended.length === 0) throw new Error(`burst ${b + 1}: the tasks did not fail`);
      const start = Math.min(...ended);
      let arrival = null;
      for (const deadline = Date.now() + 180_000; Date.now() < deadline && arrival === null; await sleep(250)) {
        const notice = (await received(`${hookName}-alerts`)).find((h) => {
          const body = JSON.parse(h.body);
          return body.type === "alert.firing" && body.data.subject === method;
        });
        if (notice) arrival = Date.parse(notice.at);
      }
      if (arrival === null) throw new Error(`burst ${b + 1}: no firing notice within 3 minutes`);
      samples.push({ method, incident_start: new Date(start).toISOString(), latency_ms: arrival - start });
    }
  } finally {
    cronOn = false;
  }
  await cronLoop.catch(() => {});
  await api("DELETE", `/api/v1/alerts/rules/${rule.id}`);
  const s = summary(samples.map((x) => x.latency_ms));
  return {
    bursts: samples.length,
    latency_ms: {
      p50: round(s.p50, 0),
      p99: round(s.p99, 0),
      min: round(Math.min(...samples.map((x) => x.latency_ms)), 0),
      max: round(Math.max(...samples.map((x) => x.latency_ms)), 0),
    },
    samples,
    crons_fired: crons.length,
    note: "from the burst's first failure (ended_at) to the firing notice's arrival at the demo site's receiver; the minute cron evaluates rules, so the wait for the next minute boundary dominates",
  };
}
