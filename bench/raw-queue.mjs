// The raw queue baseline (bench/raw): one Cloudflare Queue with switchyard's consumer settings and a
// consumer that only acks. `rawRun` pushes n messages through it with the benchmark's client.
import path from "node:path";
import { client, devFlags, expectStatus, freePort, root, start, waitFor } from "./stack.mjs";
import { pool, round, roundSummary, sleep } from "./stats.mjs";

export async function startRaw({ stateDir, logFile }) {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const entry = start(
    "raw",
    ["dev", "-c", path.join("bench", "raw", "wrangler.toml"), ...devFlags(port, inspectorPort, stateDir)],
    logFile,
    root,
  );
  const raw = client(`http://127.0.0.1:${port}`);
  return {
    raw,
    entry,
    port,
    ready: () => waitFor("raw worker", async () => (await raw("GET", "/stats")).status === 200, entry),
    run: (n, perRequest, clients, label) => rawRun(raw, n, perRequest, clients, label),
  };
}

/** `n` messages, `perRequest` per POST /send, `clients` requests in flight; times from the worker. */
async function rawRun(raw, n, perRequest, clients, label) {
  expectStatus(await raw("POST", "/reset"), 200, "raw reset");
  const requests = Math.ceil(n / perRequest);
  const t0 = Date.now();
  const requestMs = [];
  await pool(requests, clients, async (i) => {
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
    messages: stats.received,
    messages_per_request: perRequest,
    http_requests: requests,
    span_ms: span,
    msgs_per_s: round((stats.received / span) * 1000, 1),
    send_s: round((enqueuedAt - t0) / 1000, 3),
    client_wall_s: round((doneAt - t0) / 1000, 3),
    latencies,
    requestMs,
    send_request_ms: roundSummary(requestMs),
    consumer_invocations: stats.batches,
    avg_batch_size: round(stats.received / stats.batches, 2),
  };
}
