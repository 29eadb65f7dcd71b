// Bulk enqueue, batches with exact counters, pause_rest, chunked bulk over ids and bulk actions.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { call, createKey, getTask, setDispatcher, setTaskType, settleLog, waitForStatus } from "./helpers";
import { subscribe } from "./ws";

async function taskCount(): Promise<number> {
  await settleLog();
  const row = await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>();
  return row?.n ?? 0;
}

/** The batch as the API shows it, once the log (where its counters are kept) has caught up. */
async function batch(id: string): Promise<any> {
  await settleLog();
  const res = await call(`/api/v1/batches/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function waitForBatchDone(id: string, timeout = 30_000): Promise<any> {
  let last: any;
  await vi.waitUntil(
    async () => {
      last = await batch(id);
      return last.done === last.total;
    },
    { timeout, interval: 50 },
  );
  return last;
}

describe("bulk enqueue", () => {
  it("one invalid spec among 400 writes nothing and the error names its index", async () => {
    const before = await taskCount();
    const tasks = Array.from({ length: 400 }, (_, i) => ({
      method: "demo.sleep",
      arguments: { ms: i === 317 ? "x" : 1 },
    }));
    const res = await call("/api/v1/tasks/bulk", { body: { tasks } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/tasks\.317/);
    expect(res.body.error.details.index).toBe(317);
    expect(await taskCount()).toBe(before);
    const unknown = await call("/api/v1/tasks/bulk", {
      body: { tasks: [{ method: "demo.sleep", arguments: { ms: 1 } }, { method: "nope" }] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/tasks\.1/);
    expect(await taskCount()).toBe(before);
  });

  it("a spec or defaults whose arguments are not an object is a 400 naming where, as on the single path", async () => {
    const before = await taskCount();
    for (const bad of ["x", 5, true, [1, 2]]) {
      const tasks = [
        { method: "demo.echo", arguments: { ok: 1 } },
        { method: "demo.echo", arguments: bad },
      ];
      const res = await call("/api/v1/tasks/bulk", { body: { tasks } });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.message).toMatch(/^tasks\.1\.arguments: /);
      expect(res.body.error.details.index).toBe(1);
      const viaDefaults = await call("/api/v1/tasks/bulk", {
        body: { tasks: [{ method: "demo.echo" }], defaults: { arguments: bad } },
      });
      expect(viaDefaults.status, JSON.stringify(bad)).toBe(400);
      expect(viaDefaults.body.error.message).toMatch(/^defaults\.arguments: /);
    }
    const report = await call("/api/v1/tasks/bulk", {
      body: { tasks: [{ method: "report:Demo Numbers", arguments: { filters: {} } }] },
    });
    expect(report.status).toBe(400);
    expect(report.body.error.code).toBe("not_enqueueable");
    expect(report.body.error.message).toMatch(/^tasks\.0/);
    expect(await taskCount()).toBe(before);
  });

  it("more than 1,000 specs, batch-owned fields in a spec, and an empty list are 400s", async () => {
    const tooMany = Array.from({ length: 1001 }, () => ({ method: "demo.noop" }));
    expect((await call("/api/v1/tasks/bulk", { body: { tasks: tooMany } })).status).toBe(400);
    const owned = await call("/api/v1/tasks/bulk", { body: { tasks: [{ method: "demo.noop", batch_order: 3 }] } });
    expect(owned.status).toBe(400);
    expect(owned.body.error.message).toMatch(/batch_order/);
    expect((await call("/api/v1/tasks/bulk", { body: { tasks: [] } })).status).toBe(400);
  });

  it("a 1,000-task batch gets one batch_id, batch_order in input order and shared defaults that tasks override", async () => {
    await setDispatcher(false);
    try {
      const tasks = Array.from({ length: 1000 }, (_, i) => ({
        method: "demo.echo",
        arguments: { i },
        ...(i === 5 ? { queue: "long", priority: 9 } : {}),
      }));
      const res = await call("/api/v1/tasks/bulk", {
        body: { tasks, defaults: { queue: "short", priority: 2, arguments: { shared: true } } },
      });
      expect(res.status).toBe(201);
      expect(res.body.enqueued).toBe(1000);
      const batchId = res.body.batch_id as string;
      expect(batchId).toMatch(/^[0-9a-f-]{36}$/);
      const names = res.body.tasks.map((t: any) => t.name);
      expect([...names].sort()).toEqual(names);
      const t0 = await getTask(names[0]);
      expect(t0).toMatchObject({
        batch_id: batchId,
        batch_order: 0,
        queue: "short",
        priority: 2,
        arguments: { shared: true, i: 0 },
      });
      const t5 = await getTask(names[5]);
      expect(t5).toMatchObject({ batch_order: 5, queue: "long", priority: 9 });
      const b = await batch(batchId);
      expect(b).toMatchObject({ total: 1000, done: 0, failure_policy: "continue" });
      // Cancel them all (in two calls of ≤ 500) so they don't crowd the queues of later tests.
      const first = await call(`/api/v1/batches/${batchId}/cancel`, { method: "POST", body: { message: "test over" } });
      expect(first.body.done).toBe(500);
      expect(first.body.truncated).toBe(true);
      const second = await call(`/api/v1/batches/${batchId}/cancel`, { method: "POST", body: {} });
      expect(second.body.done).toBe(500);
      expect(await batch(batchId)).toMatchObject({ canceled: 1000, done: 1000 });
    } finally {
      await setDispatcher(true);
    }
  });

  it("another user's batch_id cannot be joined", async () => {
    const a = await createKey("batch-owner-a");
    const b = await createKey("batch-owner-b");
    const id = `shared-${crypto.randomUUID()}`;
    expect(
      (await call("/api/v1/tasks/bulk", { key: a, body: { batch_id: id, tasks: [{ method: "demo.noop" }] } })).status,
    ).toBe(201);
    const before = await taskCount();
    const res = await call("/api/v1/tasks/bulk", { key: b, body: { batch_id: id, tasks: [{ method: "demo.noop" }] } });
    expect(res.status).toBe(409);
    const single = await call("/api/v1/tasks", { key: b, body: { method: "demo.noop", batch_id: id } });
    expect(single.status).toBe(409);
    expect(await taskCount()).toBe(before);
    expect((await call(`/api/v1/batches/${id}`, { key: b })).status).toBe(404);
  });
});

describe("batch counters", () => {
  it("a batch across two methods reports exact counters to one subscriber, also when tasks are retried", async () => {
    await setDispatcher(false);
    let socket;
    try {
      const tasks = [
        ...Array.from({ length: 6 }, () => ({ method: "demo.sleep", arguments: { ms: 5 } })),
        ...Array.from({ length: 3 }, () => ({
          method: "demo.fail",
          arguments: { message: "once", fail_attempts: 1 },
          max_retries: 1,
          retry_delay: 1,
        })),
        { method: "demo.fail", arguments: { message: "never", permanent: true } },
      ];
      const res = await call("/api/v1/tasks/bulk", { body: { tasks } });
      expect(res.status).toBe(201);
      const batchId = res.body.batch_id as string;
      // A batch's snapshot reads the log.
      await settleLog();
      socket = await subscribe({ batch: batchId });
      const snapshot = await socket.next((m) => m.type === "snapshot");
      expect(snapshot.data.batch).toMatchObject({ total: 10, done: 0 });
      expect(snapshot.data.tasks).toHaveLength(10);
      await setDispatcher(true);
      await socket.next((m) => m.type === "async_task_status" && m.data.batch_done === 10, 30_000);
      const final = await batch(batchId);
      expect(final).toMatchObject({ total: 10, done: 10, finished: 9, failed: 1, canceled: 0 });
      const events = socket.events();
      // A task that failed once and then succeeded is counted once, as finished.
      const retried = events.filter((e) => e.status === "Failed" && e.retry_at !== null);
      expect(retried).toHaveLength(3);
      for (const e of retried) expect(e.batch_done).toBeLessThan(10);
      const dones = events.map((e) => e.batch_done);
      expect(Math.max(...dones)).toBe(10);
      expect(events.every((e) => e.batch_total === 10)).toBe(true);
      expect(new Set(events.map((e) => e.method))).toEqual(new Set(["demo.sleep", "demo.fail"]));
    } finally {
      socket?.close();
      await setDispatcher(true);
    }
  });

  it("a manual retry of an ended task takes it out of its counter until it ends again", async () => {
    const res = await call("/api/v1/tasks/bulk", {
      body: { tasks: [{ method: "demo.fail", arguments: { message: "x", permanent: true } }] },
    });
    const batchId = res.body.batch_id as string;
    const [task] = res.body.tasks;
    await waitForStatus(task.name, "Failed");
    expect(await batch(batchId)).toMatchObject({ failed: 1, done: 1 });
    const retried = await call(`/api/v1/batches/${batchId}/retry-failed`, { method: "POST" });
    expect(retried.body.done).toBe(1);
    await vi.waitUntil(
      async () => (await getTask(task.name)).attempt === 2 && (await getTask(task.name)).status === "Failed",
    );
    expect(await batch(batchId)).toMatchObject({ failed: 1, done: 1, total: 1 });
  });
});

describe("failure policy", () => {
  it("pause_rest pauses the batch's pending tasks only once the failing task has no retries left", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    await setTaskType("demo.fail", { concurrency_limit: 1 });
    try {
      const res = await call("/api/v1/tasks/bulk", {
        body: {
          failure_policy: "pause_rest",
          tasks: [
            { method: "demo.fail", arguments: { message: "boom" }, max_retries: 1, retry_delay: 1 },
            ...Array.from({ length: 5 }, () => ({ method: "demo.sleep", queue: "short", arguments: { ms: 400 } })),
          ],
        },
      });
      expect(res.status).toBe(201);
      const batchId = res.body.batch_id as string;
      const [failing, ...rest] = res.body.tasks.map((t: any) => t.name);
      // First failure: a retry is scheduled, nothing is paused.
      const first = await vi.waitUntil(
        async () => {
          const t = await getTask(failing);
          return t.status === "Failed" && t.retry_at ? t : null;
        },
        { timeout: 10_000, interval: 20 },
      );
      expect(first.attempt).toBe(1);
      let statuses = await Promise.all(rest.map(async (n: string) => (await getTask(n)).status));
      expect(statuses).not.toContain("Paused");
      // Final failure: the rest still Pending are paused, the running one goes on.
      await vi.waitUntil(
        async () => (await getTask(failing)).attempt === 2 && (await getTask(failing)).retry_at === null,
        {
          timeout: 15_000,
        },
      );
      statuses = await Promise.all(rest.map(async (n: string) => (await getTask(n)).status));
      expect(statuses).toContain("Paused");
      expect(statuses.filter((s) => s === "Started" || s === "Queued").length).toBeLessThanOrEqual(1);
      const b = await batch(batchId);
      expect(b.statuses.Paused).toBeGreaterThan(0);
      // One call resumes them all; they finish.
      const resumed = await call(`/api/v1/batches/${batchId}/resume`, { method: "POST" });
      expect(resumed.status).toBe(200);
      expect(resumed.body.done).toBe(b.statuses.Paused);
      const done = await waitForBatchDone(batchId);
      expect(done).toMatchObject({ total: 6, finished: 5, failed: 1 });
    } finally {
      await setTaskType("demo.sleep", { concurrency_limit: 0 });
      await setTaskType("demo.fail", { concurrency_limit: 0 });
    }
  });
});

describe("chunked bulk over ids", () => {
  it("10,000 ids become 50 chunk tasks of 200 in one batch", async () => {
    await setDispatcher(false);
    try {
      const ids = Array.from({ length: 10_000 }, (_, i) => `item-${i}`);
      const res = await call("/api/v1/bulk/demo.items", { body: { ids } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ enqueued: 50, total: 10_000, duplicates_removed: 0 });
      const b = await batch(res.body.batch_id);
      expect(b.total).toBe(50);
      // The task list reads the log (batch() has let it catch up).
      const list = await call(`/api/v1/tasks?batch_id=${res.body.batch_id}&limit=100`);
      const sizes = list.body.data.map((t: any) => t.arguments.ids.length);
      expect(sizes).toEqual(Array(50).fill(200));
      const all = list.body.data.flatMap((t: any) => t.arguments.ids);
      expect(new Set(all).size).toBe(10_000);
      expect(list.body.data[0].queue).toBe("long");
      await call("/api/v1/tasks/actions", { body: { action: "cancel", batch_id: res.body.batch_id } });
    } finally {
      await setDispatcher(true);
    }
  });

  it("over-limit sizes are 400s, a CSV string of ids is accepted, and the method must be per-item", async () => {
    const ids = Array.from({ length: 10_001 }, (_, i) => `x${i}`);
    expect((await call("/api/v1/bulk/demo.items", { body: { ids } })).status).toBe(400);
    expect((await call("/api/v1/bulk/demo.items", { body: { ids: ["a"], chunk_size: 1001 } })).status).toBe(400);
    const notItem = await call("/api/v1/bulk/demo.sleep", { body: { ids: ["a"] } });
    expect(notItem.status).toBe(400);
    expect(notItem.body.error.code).toBe("not_an_item_method");
    const csv = await call("/api/v1/bulk/demo.items", { body: { ids: " a, b ,,c, a", chunk_size: 2 } });
    expect(csv.status).toBe(201);
    expect(csv.body).toMatchObject({ enqueued: 2, total: 3, duplicates_removed: 1 });
  });

  it("one item's failure is recorded and the rest go on; requeue-failed-items enqueues just the failed ids", async () => {
    const ids = ["ok-1", "bad-1", "ok-2", "ok-3", "bad-2", "ok-4"];
    const res = await call("/api/v1/bulk/demo.items", { body: { ids, chunk_size: 3, arguments: { item_ms: 1 } } });
    const batchId = res.body.batch_id as string;
    const done = await waitForBatchDone(batchId);
    expect(done).toMatchObject({ total: 2, finished: 2 });
    await settleLog();
    const list = await call(`/api/v1/tasks?batch_id=${batchId}`);
    const results = list.body.data.map((t: any) => t.result);
    expect(results.map((r: any) => r.failed).sort()).toEqual([1, 1]);
    expect(results.flatMap((r: any) => r.failed_ids).sort()).toEqual(["bad-1", "bad-2"]);
    const progress = list.body.data.map((t: any) => t.progress);
    expect(progress.every((p: any) => p.count === 3 && p.total === 3)).toBe(true);

    const requeue = await call(`/api/v1/batches/${batchId}/requeue-failed-items`, { method: "POST" });
    expect(requeue.status).toBe(200);
    expect(requeue.body.requeued).toHaveLength(1);
    expect(requeue.body.requeued[0]).toMatchObject({ method: "demo.items", ids: 2, enqueued: 1 });
    await settleLog();
    const again = await call(`/api/v1/tasks?batch_id=${requeue.body.requeued[0].batch_id}`);
    expect(again.body.data[0].arguments).toEqual({ item_ms: 1, ids: ["bad-1", "bad-2"] });
    // A second call finds nothing left to requeue.
    const twice = await call(`/api/v1/batches/${batchId}/requeue-failed-items`, { method: "POST" });
    expect(twice.body.requeued).toEqual([]);
  });

  it("requeues failed items at once, before the log has their chunk (its task is read from its object)", async () => {
    await setDispatcher(false);
    try {
      const res = await call("/api/v1/tasks/bulk", {
        body: { tasks: [{ method: "demo.items", arguments: { ids: ["bad-now"] } }] },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const batchId = res.body.batch_id as string;
      const [chunk] = res.body.tasks as { name: string }[];
      // The chunk waits in its object (the log records a new task only after LOG_DELAY_MS); an
      // item failure recorded for it is requeued without waiting for the log.
      await env.DB.prepare(
        "INSERT INTO item_failures (task_name, item_id, batch_id, error, created_at) VALUES (?1, 'bad-now', ?2, 'no', ?3)",
      )
        .bind(chunk?.name, batchId, Date.now())
        .run();
      const requeue = await call(`/api/v1/batches/${batchId}/requeue-failed-items`, { method: "POST" });
      expect(requeue.status).toBe(200);
      expect(requeue.body.requeued).toEqual([expect.objectContaining({ method: "demo.items", ids: 1, enqueued: 1 })]);
    } finally {
      await setDispatcher(true);
    }
  });

  it("two requeue-failed-items calls at once requeue each failed item exactly once", async () => {
    const ids = ["bad-a", "ok-a", "bad-b", "bad-c", "ok-b", "bad-d"];
    const res = await call("/api/v1/bulk/demo.items", { body: { ids, chunk_size: 2 } });
    const batchId = res.body.batch_id as string;
    await waitForBatchDone(batchId);
    const path = `/api/v1/batches/${batchId}/requeue-failed-items`;
    const [first, second] = await Promise.all([call(path, { method: "POST" }), call(path, { method: "POST" })]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const newBatches = [...first.body.requeued, ...second.body.requeued].map((r: any) => r.batch_id as string);
    await settleLog();
    const requeuedIds: string[] = [];
    for (const id of newBatches) {
      const tasks = await call(`/api/v1/tasks?batch_id=${id}`);
      for (const task of tasks.body.data) requeuedIds.push(...task.arguments.ids);
    }
    expect(requeuedIds.sort()).toEqual(["bad-a", "bad-b", "bad-c", "bad-d"]);
  });
});

describe("bulk actions", () => {
  it("report per-name outcomes: done, or skipped with the reason", async () => {
    await setDispatcher(false);
    try {
      const other = await createKey("actions-other");
      const mine = await call("/api/v1/tasks/bulk", {
        body: { tasks: [{ method: "demo.noop" }, { method: "demo.noop" }, { method: "demo.noop" }] },
      });
      const names: string[] = mine.body.tasks.map((t: any) => t.name);
      await call(`/api/v1/tasks/${names[1]}/pause`, { method: "POST", body: {} });
      const theirs = await call("/api/v1/tasks", { key: other, body: { method: "demo.noop" } });
      const res = await call("/api/v1/tasks/actions", {
        key: null,
        headers: { authorization: `token ${await createKey("actions-mine-only")}` },
        body: { action: "pause", names: [names[0]] },
      });
      // A different non-admin user sees none of these.
      expect(res.body.results[0]).toMatchObject({ outcome: "skipped", reason: "not found" });

      const paused = await call("/api/v1/tasks/actions", {
        body: { action: "pause", names: [names[0], names[1], "01NOSUCH00000000000000000"] },
      });
      expect(paused.status).toBe(200);
      expect(paused.body.results).toEqual([
        { name: names[0], outcome: "done", status: "Paused", reason: null },
        { name: names[1], outcome: "skipped", status: "Paused", reason: "cannot pause a task that is Paused" },
        { name: "01NOSUCH00000000000000000", outcome: "skipped", status: null, reason: "not found" },
      ]);
      const ownerOnly = await call("/api/v1/tasks/actions", {
        key: other,
        body: { action: "cancel", names: [names[2], theirs.body.name], message: "cleanup" },
      });
      expect(ownerOnly.body.results.map((r: any) => r.outcome)).toEqual(["skipped", "done"]);
      expect((await getTask(String(names[2]))).status).toBe("Pending");
      expect((await getTask(theirs.body.name)).status_message).toBe("cleanup");

      const byBatch = await call("/api/v1/tasks/actions", { body: { action: "cancel", batch_id: mine.body.batch_id } });
      expect(byBatch.body.done).toBe(3);
      expect((await batch(mine.body.batch_id)).canceled).toBe(3);
    } finally {
      await setDispatcher(true);
    }
  });

  it("needs exactly one selector, and at most 500 names", async () => {
    expect((await call("/api/v1/tasks/actions", { body: { action: "cancel" } })).status).toBe(400);
    expect(
      (await call("/api/v1/tasks/actions", { body: { action: "cancel", names: ["a"], batch_id: "b" } })).status,
    ).toBe(400);
    const many = Array.from({ length: 501 }, (_, i) => `n${i}`);
    expect((await call("/api/v1/tasks/actions", { body: { action: "cancel", names: many } })).status).toBe(400);
    expect((await call("/api/v1/tasks/actions", { body: { action: "explode", names: ["a"] } })).status).toBe(400);
  });
});
