// Raw queue baseline for `npm run bench`: POST /send?n=K sends K messages (sendBatch, ≤ 100 per call),
// each carrying its send time; the consumer acks each one and records the send→consume latency in
// memory; GET /stats reads count and percentiles (?latencies: every latency too); POST /reset clears
// them. Never deployed.

interface RawEnv {
  RAW_QUEUE: Queue<RawMessage>;
}

interface RawMessage {
  sentAt: number;
}

const SEND_BATCH_MAX = 100;

let latencies: number[] = [];
let firstSentAt: number | null = null;
let lastReceivedAt: number | null = null;
let batches = 0;
let sent = 0;
let isolate: string | undefined;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

function stats() {
  const sorted = [...latencies].sort((a, b) => a - b);
  isolate ??= crypto.randomUUID();
  return {
    isolate,
    sent,
    received: latencies.length,
    batches,
    first_sent_at: firstSentAt,
    last_received_at: lastReceivedAt,
    latency_ms: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null },
  };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/send") {
      const n = Number(url.searchParams.get("n") ?? "1");
      if (!Number.isInteger(n) || n < 1 || n > 10_000) return new Response("bad n", { status: 400 });
      const sentAt = Date.now();
      firstSentAt ??= sentAt;
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < n; i += SEND_BATCH_MAX) {
        const count = Math.min(SEND_BATCH_MAX, n - i);
        const body: RawMessage = { sentAt };
        sends.push(
          env.RAW_QUEUE.sendBatch(Array.from({ length: count }, () => ({ body, contentType: "json" as const }))),
        );
      }
      await Promise.all(sends);
      sent += n;
      return Response.json({ sent: n });
    }
    if (request.method === "GET" && url.pathname === "/stats") {
      return Response.json(url.searchParams.has("latencies") ? { ...stats(), latencies } : stats());
    }
    if (request.method === "POST" && url.pathname === "/reset") {
      latencies = [];
      firstSentAt = null;
      lastReceivedAt = null;
      batches = 0;
      sent = 0;
      return Response.json(stats());
    }
    return new Response("not found", { status: 404 });
  },

  queue(batch, _env) {
    batches += 1;
    for (const message of batch.messages) {
      const now = Date.now();
      latencies.push(now - message.body.sentAt);
      lastReceivedAt = Math.max(lastReceivedAt ?? 0, now);
      message.ack();
    }
  },
} satisfies ExportedHandler<RawEnv, RawMessage>;
