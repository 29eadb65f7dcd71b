// `npm run bench -- --probe`: where an enqueue request's time goes, next to the raw worker's send.
// Called by bench/bench.mjs with both stacks running (`ctx`); returns one JSON section.
//
// Request kinds, each timed by the client around one HTTP request:
//   health       GET /api/v1/health            (switchyard's Worker and router; no auth, no D1)
//   get_task     GET /api/v1/tasks/{name}      (+ API-key auth and the exact read from the method's object)
//   enqueue_off  POST /api/v1/tasks, dispatcher off (+ validation and the object's insert; no admission)
//   enqueue_on   POST /api/v1/tasks, dispatcher on (+ admission, the queue send and the task running)
//   delayed      POST /api/v1/tasks of demo.echo with run_at an hour ahead (stored with a timer, no run)
//   raw_send     POST /send?n=1 on the raw worker (one queue send)
// First sequentially (one request at a time, kinds interleaved so they share the machine's noise; with
// the dispatcher on also spaced 200 ms apart, so no earlier task is still running), then with
// `clients` parallel requests per kind (requests per second, as the main rounds load it).
// See docs/benchmarks.md.
import { expectStatus, log } from "./stack.mjs";
import { percentileOf, pool, round, sleep } from "./stats.mjs";

/**
 * @param {object} ctx the running stacks from bench/bench.mjs
 * @param {{ requests: number, clients: number, method: string }} params
 */
export async function probeBench(ctx, { requests, clients, method }) {
  const { api, raw, settle } = ctx;
  const seed = expectStatus(await api("POST", "/api/v1/tasks", { method }), 201, "enqueue");
  const kinds = {
    health: async () => expectStatus(await api("GET", "/api/v1/health"), 200, "health"),
    get_task: async () => expectStatus(await api("GET", `/api/v1/tasks/${seed.name}`), 200, "get task"),
    enqueue: async () => expectStatus(await api("POST", "/api/v1/tasks", { method }), 201, "enqueue"),
    // Another method, so the delayed tasks left Pending do not keep `method` from going idle.
    delayed: async () =>
      expectStatus(
        await api("POST", "/api/v1/tasks", {
          method: "demo.echo",
          run_at: new Date(Date.now() + 3_600_000).toISOString(),
        }),
        201,
        "enqueue delayed",
      ),
    raw_send: async () => expectStatus(await raw("POST", "/send?n=1"), 200, "raw send"),
  };
  const timed = async (fn) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const ms = (values) => ({
    p50: round(percentileOf(values, 50), 1),
    p90: round(percentileOf(values, 90), 1),
    n: values.length,
  });

  /** Sequential: every kind once per turn, `requests` turns; `gapMs` between requests. */
  async function sequential(names, label, gapMs = 0) {
    const times = Object.fromEntries(names.map((k) => [k, []]));
    for (let i = 0; i < requests; i++) {
      for (const k of names) {
        times[k].push(await timed(kinds[k]));
        if (gapMs > 0) await sleep(gapMs);
      }
    }
    log(`probe ${label}: ${names.map((k) => `${k} p50 ${round(percentileOf(times[k], 50), 1)} ms`).join(", ")}`);
    return times;
  }

  /** Parallel: `clients` requests in flight, `requests * 4` requests of one kind; requests per second. */
  async function parallel(kind) {
    const n = requests * 4;
    const times = [];
    const t0 = performance.now();
    await pool(n, clients, async () => times.push(await timed(kinds[kind])));
    const wall = performance.now() - t0;
    return { requests: n, per_s: round((n / wall) * 1000, 1), request_ms: ms(times) };
  }

  // Dispatcher off: nothing runs, so the enqueues are the INSERT path alone.
  expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: false }), 200, "suspend dispatcher");
  let off, offParallel;
  try {
    off = await sequential(["health", "get_task", "enqueue", "raw_send"], "dispatcher off");
    offParallel = {
      health: await parallel("health"),
      enqueue: await parallel("enqueue"),
      raw_send: await parallel("raw_send"),
    };
  } finally {
    expectStatus(await api("PUT", "/api/v1/dispatcher", { enabled: true }), 200, "resume dispatcher");
  }
  // Let the backlog the probe enqueued run before measuring enqueues with the dispatcher on.
  await waitIdle(ctx, method);
  await settle();
  const on = await sequential(["enqueue", "raw_send"], "dispatcher on");
  const spaced = await sequential(["enqueue", "delayed"], "dispatcher on, 200 ms apart", 200);
  await waitIdle(ctx, method);
  const onParallel = await parallel("enqueue");
  await waitIdle(ctx, method);

  return {
    note: "client-side request times; sequential = one request at a time (kinds interleaved), parallel = `clients` in flight",
    requests_per_kind: requests,
    clients,
    sequential_ms: {
      health: ms(off.health),
      get_task: ms(off.get_task),
      enqueue_dispatcher_off: ms(off.enqueue),
      enqueue_dispatcher_on: ms(on.enqueue),
      raw_send: ms([...off.raw_send, ...on.raw_send]),
    },
    spaced_200ms_ms: {
      note: "dispatcher on, one request every 200 ms: nothing from an earlier request is still running",
      enqueue_runs: ms(spaced.enqueue),
      enqueue_delayed_wake_no_run: ms(spaced.delayed),
    },
    parallel: {
      health: offParallel.health,
      enqueue_dispatcher_off: offParallel.enqueue,
      enqueue_dispatcher_on: onParallel,
      raw_send: offParallel.raw_send,
    },
  };
}

/** Waits until the method has no live task. */
async function waitIdle({ api }, method) {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const ops = expectStatus(await api("GET", "/api/v1/ops"), 200, "ops");
    const m = ops.methods.find((x) => x.method === method);
    const live = m ? m.pending + m.delayed + m.paused + m.queued + m.started : 0;
    if (live === 0) return;
    if (Date.now() > deadline) throw new Error(`probe: ${live} tasks still live`);
    await sleep(250);
  }
}
