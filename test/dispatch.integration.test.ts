// Dispatch: the method's object admits in order, within the concurrency limit, without lost requests.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { maxOverlap as mostAtOnce } from "./overlap";
import { describe, expect, it, vi } from "vitest";
import { deliver, messageFor, scenarios } from "./fixtures";
import { call, enqueue, getTask, setDispatcher, setTaskType, settleLog, waitForStatus } from "./helpers";

interface Span {
  name: string;
  created_at: number;
  started_at: number;
  ended_at: number;
}

/**
 * Waits until `count` tasks of the batch have finished, sampling the method's in-flight count
 * meanwhile — from its object, which holds the exact count at every instant.
 */
async function runBatchToEnd(
  method: string,
  batchId: string,
  count: number,
  timeout = 60_000,
): Promise<{ maxInFlight: number }> {
  let maxInFlight = 0;
  await vi.waitUntil(
    async () => {
      const { counts } = await env.METHOD_TASKS.getByName(method).summary();
      maxInFlight = Math.max(maxInFlight, counts.Queued + counts.Started);
      const batch = await call(`/api/v1/batches/${batchId}`);
      return batch.body.finished === count;
    },
    { timeout, interval: 5 },
  );
  return { maxInFlight };
}

/** When each task of the batch ran, from the log (every one has ended, so the log has it). */
async function spans(batchId: string): Promise<Span[]> {
  await settleLog();
  const { results } = await env.DB.prepare(
    "SELECT name, created_at, started_at, ended_at FROM tasks WHERE batch_id = ? ORDER BY started_at",
  )
    .bind(batchId)
    .all<Span>();
  return results;
}

/** The most handlers running at one instant (test/overlap.ts). */
const maxOverlap = (list: Span[]) => mostAtOnce(list.map((s) => ({ start: s.started_at, end: s.ended_at })));

const uniqueBatch = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

describe("concurrency limit", () => {
  it("200 tasks of random length under a limit of 3 never run more than 3 at once and leave no slot idle while work waits", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 3 });
    const batch = uniqueBatch("limit3");
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          enqueue({
            method: "demo.sleep",
            arguments: { ms: Math.floor(Math.random() * 40) },
            batch_id: batch,
            batch_order: i + j,
          }),
        ),
      );
    }
    const { maxInFlight } = await runBatchToEnd("demo.sleep", batch, 200);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    const list = await spans(batch);
    expect(list).toHaveLength(200);
    expect(maxOverlap(list)).toBeLessThanOrEqual(3);
    // The limit was actually used (the test would be vacuous if tasks ran one by one).
    expect(maxOverlap(list)).toBe(3);
  });

  it("a finishing task hands its slot to a waiting one before its message is acknowledged", async () => {
    // demo.echo at a limit of 1: one Queued task holds the slot (its message is ours to deliver).
    await setTaskType("demo.echo", { concurrency_limit: 1 });
    const holder = await scenarios.queued("demo.echo");
    const waiting = await enqueue({ method: "demo.echo", arguments: { n: 1 } });
    expect((await getTask(waiting.name)).status, "the limit holds it back").toBe("Pending");
    // The consumer runs the holder and reports Finished to the object before it acknowledges: by
    // the time deliver() resolves, the waiting task has been admitted — no cron, no alarm.
    const result = await deliver("switchyard-default", [{ id: "m-holder", body: messageFor(holder) }]);
    expect(result.explicitAcks).toContain("m-holder");
    expect((await getTask(holder.name)).status).toBe("Finished");
    expect((await getTask(waiting.name)).status).not.toBe("Pending");
    await setTaskType("demo.echo", { concurrency_limit: 0 });
  });

  it("raising the limit admits waiting work at once", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    const batch = uniqueBatch("raise");
    // Different queues: locally a queue delivers one batch at a time, and this test is about the
    // object, not about the queue's consumer concurrency.
    const blocker = await enqueue({
      method: "demo.sleep",
      queue: "long",
      arguments: { ms: 600_000 },
      batch_id: batch,
      batch_order: 0,
    });
    const second = await enqueue({
      method: "demo.sleep",
      queue: "short",
      arguments: { ms: 10 },
      batch_id: batch,
      batch_order: 1,
    });
    await waitForStatus(blocker.name, "Started");
    expect((await getTask(second.name)).status).toBe("Pending");
    await setTaskType("demo.sleep", { concurrency_limit: 2 });
    await waitForStatus(second.name, "Finished");
    // The second task ran while the blocker still held the first slot.
    expect((await getTask(blocker.name)).status).toBe("Started");
    expect((await call(`/api/v1/tasks/${blocker.name}/cancel`, { method: "POST", body: {} })).status).toBe(200);
  });
});

describe("admission order", () => {
  it("run-now jumps the line but still waits for a free slot", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    const blocker = await enqueue({ method: "demo.sleep", arguments: { ms: 800 } });
    await waitForStatus(blocker.name, "Started");
    const a = await enqueue({ method: "demo.sleep", arguments: { ms: 5 } });
    const b = await enqueue({ method: "demo.sleep", arguments: { ms: 5 } });
    const res = await call(`/api/v1/tasks/${b.name}/run-now`, { method: "POST", body: {} });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("Pending");
    const [blockerDone, aDone, bDone] = await Promise.all([
      waitForStatus(blocker.name, "Finished"),
      waitForStatus(a.name, "Finished"),
      waitForStatus(b.name, "Finished"),
    ]);
    expect(Date.parse(bDone.started_at)).toBeGreaterThanOrEqual(Date.parse(blockerDone.ended_at));
    // With one slot, a was admitted only once b had ended.
    expect(Date.parse(aDone.started_at)).toBeGreaterThanOrEqual(Date.parse(bDone.ended_at));
  });
});

describe("dispatcher switch", () => {
  it("suspending holds new work while running tasks finish, and resuming releases it", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 0 });
    const running = await enqueue({ method: "demo.sleep", arguments: { ms: 400 } });
    await waitForStatus(running.name, "Started");
    await setDispatcher(false);
    const held = await enqueue({ method: "demo.sleep", arguments: { ms: 5 } });
    // The running task finishes while suspended; the new one is still held afterwards.
    await waitForStatus(running.name, "Finished");
    expect((await getTask(held.name)).status).toBe("Pending");
    const state = await call("/api/v1/dispatcher");
    expect(state.body.enabled).toBe(false);
    await setDispatcher(true);
    await waitForStatus(held.name, "Finished");
  });
});

describe("pause, resume and delayed starts", () => {
  it("a paused task is skipped by dispatch and runs once resumed", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    const blocker = await enqueue({ method: "demo.sleep", arguments: { ms: 300 } });
    const x = await enqueue({ method: "demo.sleep", arguments: { ms: 5 } });
    const y = await enqueue({ method: "demo.sleep", arguments: { ms: 5 } });
    const paused = await call(`/api/v1/tasks/${x.name}/pause`, { method: "POST", body: {} });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe("Paused");
    await waitForStatus(blocker.name, "Finished");
    await waitForStatus(y.name, "Finished");
    expect((await getTask(x.name)).status).toBe("Paused");
    const resumed = await call(`/api/v1/tasks/${x.name}/resume`, { method: "POST", body: {} });
    expect(resumed.body.status).toBe("Pending");
    await waitForStatus(x.name, "Finished");
  });

  it("pausing a task that is not Pending is a 409 that changes nothing", async () => {
    const t = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    await waitForStatus(t.name, "Finished");
    const res = await call(`/api/v1/tasks/${t.name}/pause`, { method: "POST", body: {} });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("conflict");
    expect((await getTask(t.name)).status).toBe("Finished");
  });

  it("a delayed task starts at run_at, not before, driven by the object's alarm", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 0 });
    const runAt = new Date(Date.now() + 1500).toISOString();
    const t = await enqueue({ method: "demo.sleep", arguments: { ms: 1 }, run_at: runAt });
    expect(t.run_at).toBe(runAt);
    expect((await getTask(t.name)).status).toBe("Pending");
    const done = await waitForStatus(t.name, "Finished");
    expect(Date.parse(done.queued_at)).toBeGreaterThanOrEqual(Date.parse(runAt));
  });
});

describe("the object's state survives eviction", () => {
  it("evicting the method's object repeatedly mid-run loses no task, doubles none and breaks no limit", async () => {
    await setTaskType("demo.mark", { concurrency_limit: 2 });
    const batch = uniqueBatch("evict");
    const stub = env.METHOD_TASKS.getByName("demo.mark");
    const runAt = new Date(Date.now() + 1200).toISOString();
    const delayed = await enqueue({
      method: "demo.mark",
      arguments: { ms: 1 },
      run_at: runAt,
      batch_id: batch,
      batch_order: 0,
    });
    const names = [delayed.name as string];
    for (let i = 1; i <= 30; i++) {
      names.push((await enqueue({ method: "demo.mark", arguments: { ms: 20 }, batch_id: batch, batch_order: i })).name);
    }
    let evictions = 0;
    let stop = false;
    const evictor = (async () => {
      while (!stop) {
        try {
          await evictDurableObject(stub);
          evictions++;
        } catch {
          // not running at this instant
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const { maxInFlight } = await runBatchToEnd("demo.mark", batch, 31);
    stop = true;
    await evictor;
    expect(evictions).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(maxOverlap(await spans(batch))).toBeLessThanOrEqual(2);
    // Each task ran exactly once: one mark per task, whatever the evictions cost in re-sent messages.
    for (const name of names) {
      const marks = await env.RESULTS.list({ prefix: `demo/marks/${name}/` });
      expect(marks.objects, name).toHaveLength(1);
    }
    await setTaskType("demo.mark", { concurrency_limit: 0 });
    const d = await getTask(delayed.name);
    expect(Date.parse(d.queued_at)).toBeGreaterThanOrEqual(Date.parse(runAt));
  });
});
