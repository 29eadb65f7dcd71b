// The method's object as the system of record of its live tasks: what it must never lose or repeat
// when it is evicted (or restarted by a deploy) between the steps of a transition and its log
// write, how a cancel reaches a handler that never reports, held bulk enqueues, and a log group
// written twice.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getDb } from "../src/db/client";
import { writeLog } from "../src/db/log";
import { getLoggedTask } from "../src/db/tasks";
import type { Live } from "../src/live/live";
import { deliver, messageFor, scenarios } from "./fixtures";
import { call, enqueue, getTask, setDispatcher, settleLog, waitForStatus } from "./helpers";

const marks = async (name: string) => (await env.RESULTS.list({ prefix: `demo/marks/${name}/` })).objects.length;
const logged = (name: string) => getLoggedTask(getDb(env), name);

describe("eviction between a transition and its log write", () => {
  it("a task the object accepted reaches the log even if the object is evicted before writing it", async () => {
    await setDispatcher(false);
    try {
      const task = await enqueue({ method: "demo.noop", arguments: {} });
      // New tasks wait a moment before their first log write: evict within it.
      await evictDurableObject(env.METHOD_TASKS.getByName("demo.noop"));
      expect((await getTask(task.name)).status).toBe("Pending");
      await settleLog();
      expect((await logged(task.name))?.status).toBe("Pending");
    } finally {
      await setDispatcher(true);
    }
  });

  it("an outcome reported before an eviction lands in the log after it", async () => {
    const task = await scenarios.startedOnVanishedWorker("demo.noop");
    const stub = env.METHOD_TASKS.getByName("demo.noop");
    const [result] = await stub.report([
      { name: task.name, attempt: task.attempt, outcome: { kind: "finished", result: '{"ok":true}' }, record: null },
    ]);
    expect(result?.task?.status).toBe("Finished");
    await evictDurableObject(stub);
    expect((await getTask(task.name)).status).toBe("Finished");
    await settleLog();
    expect(await logged(task.name)).toMatchObject({ status: "Finished", result: '{"ok":true}', attempt: 1 });
  });

  it("a claim survives an eviction: a duplicate delivery after it does not run the attempt again", async () => {
    const task = await scenarios.queued("demo.mark", { arguments: JSON.stringify({ ms: 800 }) });
    const running = deliver("switchyard-default", [{ id: "claim-a", body: messageFor(task) }]);
    await waitForStatus(task.name, "Started");
    await evictDurableObject(env.METHOD_TASKS.getByName("demo.mark"));
    const duplicate = await deliver("switchyard-default", [{ id: "claim-b", body: messageFor(task) }]);
    expect(duplicate.explicitAcks).toEqual(["claim-b"]);
    await running;
    const done = await waitForStatus(task.name, "Finished");
    expect(done.job_id).toBe("claim-a");
    expect(await marks(task.name)).toBe(1);
  });

  it("an admission forgotten by an eviction is made again with the same attempt: its first message still runs it once", async () => {
    // Admitted (attempt 1) but its message not sent yet when the object is evicted.
    const task = await scenarios.queued("demo.mark", {}, Date.now() + 600_000);
    await evictDurableObject(env.METHOD_TASKS.getByName("demo.mark"));
    // The object wakes, finds the task Pending and admits it again — as attempt 1 once more.
    await deliver("switchyard-default", [{ id: "first-message", body: messageFor(task) }]);
    const done = await waitForStatus(task.name, "Finished");
    expect(done.attempt).toBe(1);
    expect(await marks(task.name)).toBe(1);
  });
});

describe("cancel reaches a running handler", () => {
  it("through its object's cancel channel, though the handler never reports progress", async () => {
    // demo.sleep reports nothing while it sleeps: only the channel can tell it.
    const task = await enqueue({ method: "demo.sleep", queue: "long", arguments: { ms: 120_000 } });
    await waitForStatus(task.name, "Started");
    const canceled = await call(`/api/v1/tasks/${task.name}/cancel`, { method: "POST", body: {} });
    expect(canceled.body.status).toBe("Canceled");
    // The handler saw its signal abort: the consumer ended the attempt and reported what it left.
    const after = await vi.waitUntil(
      async () => {
        const t = await getTask(task.name);
        return t.debug_log?.includes("stopped after cancel") ? t : null;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(after.status).toBe("Canceled");
  });
});

describe("held bulk enqueues", () => {
  it("an object releases held tasks whose bulk committed and drops those whose bulk did not", async () => {
    const stub = env.METHOD_TASKS.getByName("demo.noop");
    await setDispatcher(false);
    try {
      const make = async (hold: string) => {
        const t = await enqueue({ method: "demo.noop", run_at: new Date(Date.now() + 3_600_000).toISOString() });
        // Re-inserted under a new name, held (as phase one of a bulk enqueue that spans objects).
        const name = `${t.name.slice(0, 20)}ZZZZZZ${t.name.slice(26)}`;
        const record = await stub.get(t.name);
        if (!record) throw new Error("the task is not in its object");
        await stub.enqueue([{ ...record, name, wakeAt: null, priority: null }], { hold });
        return name;
      };
      const committed = await make("hold-committed");
      const abandoned = await make("hold-abandoned");
      expect(await stub.get(committed)).toBeNull();
      await env.DB.prepare("INSERT INTO bulk_commits (token, batch_id, created_at) VALUES ('hold-committed', '', ?)")
        .bind(Date.now())
        .run();
      // Their calls are long gone: make the holds overdue and let the object ask.
      await runInDurableObject(stub, (instance) => {
        const live = (instance as unknown as { live: Live }).live;
        for (const token of live.holds.keys()) live.holds.set(token, 0);
      });
      await stub.tick();
      expect((await stub.get(committed))?.status).toBe("Pending");
      expect(await stub.get(abandoned)).toBeNull();
      await runInDurableObject(stub, (instance) => {
        const live = (instance as unknown as { live: Live }).live;
        expect(live.store.readTask(abandoned)).toBeNull();
      });
    } finally {
      await setDispatcher(true);
    }
  });
});

describe("pause_rest across objects", () => {
  it("a pause the failing object could not deliver yet survives its eviction and is delivered after it", async () => {
    await setDispatcher(false);
    try {
      const res = await call("/api/v1/tasks/bulk", {
        body: { tasks: [{ method: "demo.noop" }, { method: "demo.echo" }, { method: "demo.echo" }] },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const batchId = res.body.batch_id as string;
      const echoes = (res.body.tasks as { name: string; method: string }[]).filter((t) => t.method === "demo.echo");
      // demo.noop's object decided to pause the rest (as a final failure does) and was evicted
      // while its delivery to demo.echo's object was under way (marked so here, so that no other
      // wake of the object delivers it before the eviction).
      const failing = env.METHOD_TASKS.getByName("demo.noop");
      await runInDurableObject(failing, (instance) => {
        const object = instance as unknown as { live: Live; pausing: Set<string> };
        object.pausing.add(batchId);
        object.live.notePauseOut([batchId]);
      });
      await evictDurableObject(failing);
      for (const t of echoes) expect((await getTask(t.name)).status).toBe("Pending");
      // Its next wake (the alarm it keeps while a pause is owed, or the minute cron) delivers it.
      await failing.tick();
      await vi.waitUntil(async () => (await getTask(echoes[0]?.name ?? "")).status === "Paused", { timeout: 10_000 });
      for (const t of echoes) expect((await getTask(t.name)).status).toBe("Paused");
      await vi.waitUntil(
        () =>
          runInDurableObject(failing, (instance) => (instance as unknown as { live: Live }).live.pauseOut.size === 0),
        { timeout: 10_000 },
      );
    } finally {
      await setDispatcher(true);
    }
  });
});

describe("the log", () => {
  it("a group written twice changes nothing the second time (no row, no counter)", async () => {
    const res = await call("/api/v1/tasks/bulk", {
      body: { tasks: [{ method: "demo.noop" }, { method: "demo.noop" }] },
    });
    const names: string[] = res.body.tasks.map((t: { name: string }) => t.name);
    for (const name of names) await waitForStatus(name, "Finished");
    await settleLog();
    const rows = (await Promise.all(names.map((n) => logged(n)))).filter((r) => r !== null);
    expect(rows).toHaveLength(2);
    const before = await call(`/api/v1/batches/${res.body.batch_id}`);
    expect(before.body).toMatchObject({ total: 2, finished: 2 });
    const again = await writeLog(getDb(env), rows, Date.now());
    expect(again.written).toEqual([]);
    const after = await call(`/api/v1/batches/${res.body.batch_id}`);
    expect(after.body).toMatchObject({ total: 2, finished: 2 });
  });
});
