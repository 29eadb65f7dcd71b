// `npm run bench -- --fanout N`: N WebSocket subscribers on one batch, and how late each
// async_task_status event reaches each of them. Called by bench/bench.mjs with the running stack
// (`ctx`); returns one JSON section. See docs/benchmarks.md.
//
// The batch is created with the dispatcher off, so nothing runs before every subscriber has its
// snapshot; then the dispatcher is switched on and every event is timed from its server `ts` (the
// transition's time) to its receipt by each subscriber. Receipts are stamped in the message
// handler and parsed only afterwards, so JSON parsing does not delay later stamps.

import { monitorEventLoopDelay } from "node:perf_hooks";
import { expectStatus, log } from "./stack.mjs";
import { maxOf, minOf, percentileOf, pool, round, roundSummary, sleep, summary } from "./stats.mjs";

/** Wall-clock epoch ms with sub-millisecond resolution (same clock as Date.now()). */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * @param {object} ctx the running stack from bench/bench.mjs
 * @param {{ subscribers: number, tasks: number, parallel: number, method: string }} params
 */
export async function fanoutBench(ctx, { subscribers, tasks, parallel, method }) {
  const { api, settle, delta, port, processCpu, cpuDelta } = ctx;

  // ---- 1. The batch, not runnable yet.
  expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: false }), 200, "suspend dispatcher");
  let dispatcherOn = false;
  const subs = [];
  try {
    const created = expectStatus(
      await api("POST", "/api/v1/tasks/bulk", { tasks: Array.from({ length: tasks }, () => ({ method })) }),
      201,
      "bulk enqueue",
    );
    const batchId = created.batch_id;
    log(`fan-out: batch ${batchId} (${tasks} × ${method}) created with the dispatcher off`);

    // ---- 2. Subscribers: ticket, upgrade, snapshot.
    const beforeSubscribe = await settle();
    const cpu0 = processCpu();
    const subscribeStart = Date.now();
    let connected = 0;
    await pool(subscribers, parallel, async (i) => {
      const sub = { i, messages: [], error: null, closed: null, t0: nowMs(), openAt: null, snapshotAt: null };
      subs.push(sub);
      try {
        const ticket = expectStatus(await api("POST", "/api/v1/realtime/tickets"), 201, "ticket");
        sub.ticketAt = nowMs();
        const url = `ws://127.0.0.1:${port}${ticket.url}&batch=${encodeURIComponent(batchId)}`;
        await new Promise((resolve) => {
          const ws = new WebSocket(url);
          sub.ws = ws;
          const timer = setTimeout(() => {
            sub.error ??= "no snapshot within 30 s";
            resolve();
          }, 30_000);
          ws.onopen = () => (sub.openAt = nowMs());
          ws.onmessage = (event) => {
            const at = nowMs();
            sub.messages.push([at, event.data]);
            if (sub.snapshotAt === null) {
              sub.snapshotAt = at;
              clearTimeout(timer);
              resolve();
            }
          };
          ws.onerror = (event) => {
            sub.error ??= `error: ${event.message ?? event.error?.message ?? "websocket error"}`;
          };
          ws.onclose = (event) => {
            sub.closed = { code: event.code, reason: event.reason, at: nowMs() };
            clearTimeout(timer);
            resolve();
          };
        });
      } catch (error) {
        sub.error = error instanceof Error ? error.message : String(error);
      }
      if (++connected % 100 === 0) log(`fan-out: ${connected}/${subscribers} subscribers handled`);
    });
    const subscribeEnd = Date.now();
    const ready = subs.filter((s) => s.snapshotAt !== null && s.closed === null);
    const failed = subs.filter((s) => !ready.includes(s));
    log(`fan-out: ${ready.length}/${subscribers} subscribers have their snapshot (${failed.length} failed)`);
    const cpu1 = processCpu();
    const afterSubscribe = await settle();

    // ---- 3. Run the batch.
    const beforeRun = afterSubscribe;
    // How late this process's event loop runs callbacks (so how late receipts can be stamped).
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpu2 = processCpu();
    const resumedAt = Date.now();
    expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: true }), 200, "resume dispatcher");
    dispatcherOn = true;
    // Poll the batch until the server has it done, then wait until no subscriber receives anything
    // for a second (late and duplicate messages). Nothing is parsed meanwhile.
    const deadline = Date.now() + 120_000;
    let serverDoneAt = null;
    const received = () => subs.reduce((a, s) => a + s.messages.length, 0);
    for (;;) {
      const b = expectStatus(await api("GET", `/api/v1/batches/${batchId}`), 200, "batch");
      if (b.done >= b.total) {
        serverDoneAt = Date.now();
        break;
      }
      if (Date.now() > deadline) throw new Error(`fan-out: timed out at ${b.done}/${b.total}`);
      await sleep(250);
    }
    for (let prev = -1, quiet = Date.now(); Date.now() - serverDoneAt < 15_000; await sleep(100)) {
      const n = received();
      if (n !== prev) [prev, quiet] = [n, Date.now()];
      else if (Date.now() - quiet >= 1_000) break;
    }
    const cpu3 = processCpu();
    const runEnd = Date.now();
    loopDelay.disable();
    const afterRun = await settle();

    // ---- 4. Analysis.
    /** @type {Map<string, number>} task → seq in the snapshot (same for every subscriber: nothing ran) */
    const snapshotSeq = new Map();
    const finalSeq = new Map();
    const parsed = ready.map((s) => {
      const events = [];
      for (const [at, text] of s.messages) {
        if (text === "pong") continue;
        const m = JSON.parse(text);
        if (m.type === "snapshot") {
          for (const t of m.data.tasks) {
            const prev = snapshotSeq.get(t.name);
            if (prev !== undefined && prev !== t.seq) s.snapshotMismatch = true;
            snapshotSeq.set(t.name, t.seq);
          }
          s.snapshotBatch = m.data.batch;
        } else if (m.type === "async_task_status") {
          const d = m.data;
          events.push({
            at,
            name: d.name,
            seq: d.seq,
            status: d.status,
            ts: Date.parse(d.ts),
            done: d.batch_done,
            total: d.batch_total,
          });
          if (d.status === "Finished" || d.status === "Failed" || d.status === "Canceled") {
            finalSeq.set(d.name, Math.max(finalSeq.get(d.name) ?? 0, d.seq));
          }
        }
      }
      return { s, events };
    });

    const latencies = [];
    const byStatus = {};
    const byEvent = new Map(); // "name#seq" → { ts, receipts }
    const perSubscriber = [];
    let duplicates = 0;
    let outOfOrder = 0;
    const missing = [];
    const finalAt = [];
    for (const { s, events } of parsed) {
      const seen = new Map(); // name → Set of seqs
      const lastSeq = new Map();
      let maxDone = 0;
      let total = null;
      for (const e of events) {
        latencies.push(e.at - e.ts);
        (byStatus[e.status] ??= []).push(e.at - e.ts);
        const key = `${e.name}#${e.seq}`;
        const entry = byEvent.get(key) ?? { ts: e.ts, receipts: [] };
        entry.receipts.push(e.at);
        byEvent.set(key, entry);
        const set = seen.get(e.name) ?? new Set();
        if (set.has(e.seq)) duplicates += 1;
        set.add(e.seq);
        seen.set(e.name, set);
        if ((lastSeq.get(e.name) ?? 0) > e.seq) outOfOrder += 1;
        lastSeq.set(e.name, Math.max(lastSeq.get(e.name) ?? 0, e.seq));
        if (e.done !== null) maxDone = Math.max(maxDone, e.done);
        if (e.total !== null) total = e.total;
      }
      // Every task must show every seq from its snapshot's + 1 to its final (ended) one.
      let missed = 0;
      for (const [name, from] of snapshotSeq) {
        const to = finalSeq.get(name);
        if (to === undefined) continue;
        for (let q = from + 1; q <= to; q++) if (!seen.get(name)?.has(q)) missed += 1;
      }
      if (missed > 0) missing.push({ subscriber: s.i, missed });
      const final = events.find((e) => e.total !== null && e.done === e.total);
      if (final) finalAt.push(final.at);
      perSubscriber.push({ events: events.length, missed, maxDone, total });
    }
    const expectedPerSubscriber = [...snapshotSeq].reduce(
      (a, [name, from]) => a + ((finalSeq.get(name) ?? from) - from),
      0,
    );
    const spreads = [...byEvent.values()].map(({ receipts }) => maxOf(receipts) - minOf(receipts));
    const firstReceipts = [...byEvent.values()].map(({ ts, receipts }) => minOf(receipts) - ts);
    const eventsPerSub = perSubscriber.map((p) => p.events);
    const sawFinal = perSubscriber.filter((p) => p.total !== null && p.maxDone === p.total).length;
    const connectMs = ready.map((s) => s.snapshotAt - s.t0);
    const ticketMs = ready.map((s) => s.ticketAt - s.t0);
    const upgradeMs = ready.map((s) => s.openAt - s.ticketAt);
    const openToSnapshotMs = ready.map((s) => s.snapshotAt - s.openAt);
    const failures = {};
    for (const s of failed) {
      const reason = s.error ?? (s.closed ? `closed ${s.closed.code} ${s.closed.reason}` : "unknown");
      failures[reason] = (failures[reason] ?? 0) + 1;
    }
    const statusCounts = {};
    for (const { events } of parsed.slice(0, 1))
      for (const e of events) statusCounts[e.status] = (statusCounts[e.status] ?? 0) + 1;

    const subscribeDelta = delta(afterSubscribe, beforeSubscribe);
    const runDelta = delta(afterRun, beforeRun);
    const result = {
      note:
        "latency = receipt by the subscriber (Node, Date clock) − the event's server ts (the transition's time, same machine clock); " +
        "over all (event, subscriber) pairs",
      batch_id: batchId,
      tasks,
      subscribers_requested: subscribers,
      subscribers_ready: ready.length,
      subscribe_failures: failures,
      connect_parallelism: parallel,
      subscribe: {
        wall_s: round((subscribeEnd - subscribeStart) / 1000, 3),
        ticket_request_to_snapshot_ms: roundSummary(connectMs, 1),
        ticket_request_ms: roundSummary(ticketMs, 1),
        upgrade_ms: roundSummary(upgradeMs, 1),
        open_to_snapshot_ms: roundSummary(openToSnapshotMs, 1),
        counters: subscribeDelta,
        per_subscriber: Object.fromEntries(
          Object.entries(subscribeDelta).map(([k, v]) => [k, round(v / Math.max(1, subscribers), 3)]),
        ),
      },
      run: {
        resume_to_last_subscriber_done_s:
          finalAt.length === ready.length ? round((maxOf(finalAt) - resumedAt) / 1000, 3) : null,
        resume_to_server_done_s: serverDoneAt === null ? null : round((serverDoneAt - resumedAt) / 1000, 3),
        counters: runDelta,
        per_event_counters: Object.fromEntries(
          Object.entries(runDelta).map(([k, v]) => [k, round(v / Math.max(1, expectedPerSubscriber), 3)]),
        ),
      },
      events: {
        distinct: byEvent.size,
        expected_per_subscriber: expectedPerSubscriber,
        statuses_seen_by_first_subscriber: statusCounts,
        per_subscriber: summary(eventsPerSub),
        per_subscriber_min: eventsPerSub.length ? minOf(eventsPerSub) : null,
        deliveries: latencies.length,
      },
      latency_ms: {
        ts_to_receipt: {
          ...roundSummary(latencies, 1),
          p90: round(percentileOf(latencies, 90), 1),
          min: round(minOf(latencies), 1),
        },
        ts_to_receipt_by_status: Object.fromEntries(
          Object.entries(byStatus).map(([status, list]) => [status, roundSummary(list, 1)]),
        ),
        first_receipt: roundSummary(firstReceipts, 1),
        spread_first_to_last_subscriber: roundSummary(spreads, 1),
      },
      completeness: {
        saw_final_batch_done_eq_total: sawFinal,
        of: ready.length,
        subscribers_missing_events: missing.length,
        missing_examples: missing.slice(0, 10),
        duplicate_deliveries: duplicates,
        out_of_order_deliveries: outOfOrder,
        snapshot_mismatch: parsed.filter((p) => p.s.snapshotMismatch).length,
      },
      cpu_s: {
        note: "CPU seconds by process: bench_s is this process (every subscriber), node is wrangler, workerd_<pid> its two workerd processes (the Worker runtime and the dev proxy); the machine has 2 cores",
        subscribe: { wall_s: round((subscribeEnd - subscribeStart) / 1000, 3), ...cpuDelta(cpu1, cpu0) },
        run: { wall_s: round((runEnd - resumedAt) / 1000, 3), ...cpuDelta(cpu3, cpu2) },
      },
      client_event_loop_delay_ms: {
        note: "during the run phase (perf_hooks.monitorEventLoopDelay, 10 ms resolution): how late receipts may be stamped",
        p50: round(loopDelay.percentile(50) / 1e6, 1),
        p99: round(loopDelay.percentile(99) / 1e6, 1),
        max: round(loopDelay.max / 1e6, 1),
      },
    };
    return { result, close: () => closeAll(subs) };
  } finally {
    if (!dispatcherOn) await api("PUT", "/api/v1/dispatcher", { enabled: true });
  }
}

/** Closes every socket and waits (up to 10 s) for the closes to complete. */
async function closeAll(subs) {
  for (const s of subs) {
    try {
      if (s.ws && s.ws.readyState <= 1) s.ws.close(1000, "bench done");
    } catch {
      // already closed
    }
  }
  const deadline = Date.now() + 10_000;
  while (subs.some((s) => s.ws && s.ws.readyState !== 3) && Date.now() < deadline) await sleep(100);
}
