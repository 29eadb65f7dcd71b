// Realtime: snapshots first, then every transition and progress call, to the owner (or an admin) only.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { call, createKey, enqueue, getTask, setDispatcher, waitForStatus } from "./helpers";
import { connect, subscribe } from "./ws";

describe("task events", () => {
  it("a subscriber sees Pending, Queued, Started, progress and Finished in order with increasing seq", async () => {
    const key = await createKey("rt-order-user", ["Task User"]);
    const socket = await subscribe({}, key);
    const snapshot = await socket.next((m) => m.type === "snapshot");
    expect(snapshot.data.tasks).toEqual([]);

    const task = await enqueue({ method: "demo.count", arguments: { n: 3, step_ms: 80 } }, key);
    await socket.next((m) => m.type === "async_task_status" && m.data.status === "Finished");
    const events = socket.events(task.name);
    const statuses = events.map((e) => e.status);
    expect(statuses.slice(0, 3)).toEqual(["Pending", "Queued", "Started"]);
    expect(statuses.at(-1)).toBe("Finished");
    const progress = events.filter((e) => e.status === "Started" && e.progress).map((e) => e.progress.count);
    expect(progress).toEqual([1, 2, 3]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.at(-1)).toMatchObject({ job_name: "demo.count", method: "demo.count", owner: "rt-order-user" });
    socket.close();
  });

  it("a late subscriber to a finished task gets a snapshot showing Finished at once", async () => {
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    await waitForStatus(task.name, "Finished");
    const socket = await subscribe({ task: task.name });
    const snapshot = await socket.next((m) => m.type === "snapshot");
    expect(snapshot.data.tasks).toHaveLength(1);
    expect(snapshot.data.tasks[0]).toMatchObject({ name: task.name, status: "Finished" });
    socket.close();
  });

  it("a subscriber that joins while a task waits gets its state, then the rest of its events", async () => {
    await setDispatcher(false);
    try {
      const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
      const socket = await subscribe({ task: task.name });
      const snapshot = await socket.next((m) => m.type === "snapshot");
      expect(snapshot.data.tasks[0].status).toBe("Pending");
      await setDispatcher(true);
      await socket.next((m) => m.type === "async_task_status" && m.data.status === "Finished");
      expect(socket.events(task.name).map((e) => e.status)).toEqual(["Queued", "Started", "Finished"]);
      expect(socket.messages[0]?.type).toBe("snapshot");
      socket.close();
    } finally {
      await setDispatcher(true);
    }
  });

  it("subscribers of one scope share its watch: when one leaves, the other still gets every event", async () => {
    await setDispatcher(false);
    try {
      const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
      const first = await subscribe({ task: task.name });
      const second = await subscribe({ task: task.name });
      await first.next((m) => m.type === "snapshot");
      await second.next((m) => m.type === "snapshot");
      first.close();
      // Wait until the hub has processed the close (one socket left on the scope).
      const hub = env.REALTIME.getByName("Administrator");
      await vi.waitUntil(() =>
        runInDurableObject(hub, (_instance, state) => state.getWebSockets(`task:${task.name}`).length === 1),
      );
      await setDispatcher(true);
      await second.next((m) => m.type === "async_task_status" && m.data.status === "Finished");
      expect(second.events(task.name).map((e) => e.status)).toEqual(["Queued", "Started", "Finished"]);
      second.close();
    } finally {
      await setDispatcher(true);
    }
  });

  it("a subscriber that leaves without a close code gives up its watch", async () => {
    const task = await enqueue({
      method: "demo.sleep",
      arguments: { ms: 1, ignore_signal: true },
      run_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const response = await connect({ task: task.name });
    const ws = response.webSocket;
    if (!ws) throw new Error("no websocket");
    ws.accept();
    const watch = () =>
      env.DB.prepare("SELECT until FROM realtime_watches WHERE scope = ?1").bind(`task:${task.name}`).first();
    await vi.waitUntil(async () => (await watch()) !== null);
    ws.close(); // no code: the hub sees 1005
    await vi.waitUntil(async () => (await watch()) === null, { timeout: 5_000 });
  });

  it("non-admins see the error message without the stack; admins see both", async () => {
    const key = await createKey("rt-error-user", ["Task User"]);
    const mine = await subscribe({}, key);
    const admin = await subscribe({ task: undefined });
    await mine.next((m) => m.type === "snapshot");
    const task = await enqueue({ method: "demo.fail", arguments: { message: "kaput" } }, key);
    const asOwner = await mine.next((m) => m.type === "async_task_status" && m.data.status === "Failed");
    expect(asOwner.data.error).toBe("Error: kaput");
    expect(asOwner.data.error_detail).toBeNull();
    // The admin watches a task of another user by name.
    const adminTask = await subscribe({ task: task.name });
    const snap = await adminTask.next((m) => m.type === "snapshot");
    expect(snap.data.tasks[0].error_detail).toMatch(/^Error: kaput\n/);
    for (const s of [mine, admin, adminTask]) s.close();
  });

  it("a reconnecting client ends with the correct final state", async () => {
    const task = await enqueue({ method: "demo.count", arguments: { n: 6, step_ms: 100 } });
    const first = await subscribe({ task: task.name });
    await first.next((m) => m.type === "async_task_status" && m.data.progress?.count >= 2);
    first.close();
    // Events while disconnected are lost to this client; the new snapshot covers them.
    await waitForStatus(task.name, "Finished");
    const second = await subscribe({ task: task.name });
    const snap = await second.next((m) => m.type === "snapshot");
    expect(snap.data.tasks[0]).toMatchObject({ status: "Finished", progress: { count: 6, total: 6 } });
    second.close();
  });
});

describe("who may subscribe", () => {
  it("another user's task is refused exactly like a missing one", async () => {
    const owner = await createKey("rt-owner", ["Task User"]);
    const other = await createKey("rt-other", ["Task User"]);
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } }, owner);
    const refused = await connect({ task: task.name }, other);
    const missing = await connect({ task: "01NOSUCHTASK0000000000000" }, other);
    expect(refused.status).toBe(404);
    expect(missing.status).toBe(404);
    const a = await refused.json<{ error: { message: string } }>();
    const b = await missing.json<{ error: { message: string } }>();
    expect(a.error.message.replace(task.name, "X")).toBe(b.error.message.replace("01NOSUCHTASK0000000000000", "X"));
  });

  it("a ticket works once, and never without one", async () => {
    const res = await call("/api/v1/realtime/tickets", { method: "POST" });
    const ticket = res.body.ticket as string;
    expect((await connect({}, undefined, ticket)).status).toBe(101);
    const again = await connect({}, undefined, ticket);
    expect(again.status).toBe(401);
    expect((await connect({}, undefined, "made-up")).status).toBe(401);
    const noTicket = await call("/api/v1/realtime", { key: null, headers: { upgrade: "websocket" } });
    expect(noTicket.status).toBe(400);
  });

  it("tickets need an API key, and the socket endpoint needs an upgrade", async () => {
    expect((await call("/api/v1/realtime/tickets", { method: "POST", key: null })).status).toBe(401);
    const res = await call("/api/v1/realtime/tickets", { method: "POST" });
    const plain = await call(`/api/v1/realtime?ticket=${res.body.ticket}`, { key: null });
    expect(plain.status).toBe(426);
  });

  it("the task's state is unaffected by watching it", async () => {
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    const s = await subscribe({ task: task.name });
    await waitForStatus(task.name, "Finished");
    expect((await getTask(task.name)).attempt).toBe(1);
    s.close();
  });
});
