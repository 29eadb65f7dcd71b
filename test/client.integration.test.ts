// The TypeScript client against the Worker: typed calls, watchTask/watchBatch, reconnect + resync.
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { SwitchyardError, createClient, type TaskEvent } from "../clients/typescript/src/index";
import { ADMIN, createKey, setDispatcher } from "./helpers";

const sockets: DroppableSocket[] = [];

/**
 * A WebSocket (as the client expects one) whose connection goes through the Worker's fetch
 * handler; `drop()` closes it from outside, like a network failure.
 */
class DroppableSocket extends EventTarget {
  readyState = 0;
  private inner: WebSocket | null = null;

  constructor(url: string) {
    super();
    sockets.push(this);
    void this.open(url.replace(/^ws/, "http"));
  }

  private async open(url: string) {
    const response = await exports.default.fetch(new Request(url, { headers: { upgrade: "websocket" } }));
    const ws = response.webSocket;
    if (!ws) {
      this.readyState = 3;
      this.dispatchEvent(new Event("close"));
      return;
    }
    ws.accept();
    this.inner = ws;
    this.readyState = 1;
    ws.addEventListener("message", (e) => this.dispatchEvent(new MessageEvent("message", { data: e.data })));
    ws.addEventListener("close", () => this.drop());
    this.dispatchEvent(new Event("open"));
  }

  send(data: string) {
    this.inner?.send(data);
  }

  close() {
    this.readyState = 3;
    this.inner?.close(1000, "client");
  }

  /** Simulates a dropped connection. */
  drop() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    try {
      this.inner?.close(1001, "dropped");
    } catch {
      // already closed
    }
    this.dispatchEvent(new Event("close"));
  }
}

const client = createClient({
  baseUrl: "http://switchyard.test",
  apiKey: ADMIN,
  fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  WebSocket: DroppableSocket as unknown as typeof WebSocket,
});

describe("client", () => {
  it("enqueues, reads and reports API errors as SwitchyardError", async () => {
    const task = await client.enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    expect(task.status).toBe("Pending");
    expect((await client.getTask(task.name)).name).toBe(task.name);
    const error = await client.enqueue({ method: "no.such" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ status: 400, code: "unknown_method" });
  });

  it("watchTask calls the handler on every event and stops at the end", async () => {
    const task = await client.enqueue({ method: "demo.count", arguments: { n: 4, step_ms: 60 } });
    const seen: TaskEvent[] = [];
    const watch = client.watchTask(task.name, (e) => seen.push(e));
    const final = await watch.done;
    expect(final.status).toBe("Finished");
    expect(seen.at(-1)?.status).toBe("Finished");
    expect(seen.filter((e) => e.progress?.count === 4)).not.toHaveLength(0);
    const seqs = seen.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("watchTask on a task that already ended resolves at once from the snapshot", async () => {
    const task = await client.enqueue({ method: "demo.fail", arguments: { message: "nope" } });
    // Wait for the end through the client itself, then watch again.
    await client.watchTask(task.name, () => {}).done;
    const again = await client.watchTask(task.name, () => {}).done;
    expect(again).toMatchObject({ status: "Failed", error: "Error: nope" });
  });

  it("watchBatch across two methods reaches done == total, through a dropped connection", async () => {
    await setDispatcher(false);
    const tasks = [
      ...Array.from({ length: 20 }, () => ({ method: "demo.sleep", arguments: { ms: 20 } })),
      ...Array.from({ length: 20 }, (_, i) => ({ method: "demo.echo", arguments: { i } })),
    ];
    const { batch_id } = await client.bulkEnqueue({ tasks });
    const updates: number[] = [];
    let connections = 0;
    let opened!: () => void;
    const firstOpen = new Promise<void>((resolve) => (opened = resolve));
    const watch = client.watchBatch(
      batch_id,
      (_event, progress) => {
        updates.push(progress.done);
        // Drop the connection once, mid-way.
        if (progress.done >= 10 && connections === 1) sockets.at(-1)?.drop();
      },
      {
        onConnection: (state) => {
          if (state !== "open") return;
          connections++;
          opened();
        },
      },
    );
    // Nothing runs until the watch is connected, so the drop happens mid-way and not after the end
    // (on a loaded machine the batch could finish before the first socket opened: one connection).
    await firstOpen;
    await setDispatcher(true);
    const progress = await watch.done;
    expect(progress).toEqual({ done: 40, total: 40 });
    expect(connections).toBe(2);
    expect(updates.at(-1)).toBe(40);
    expect((await client.getBatch(batch_id)).done).toBe(40);
  });

  it("a watch on another user's task, or with a bad key, fails instead of retrying forever", async () => {
    const as = (apiKey: string) =>
      createClient({
        baseUrl: "http://switchyard.test",
        apiKey,
        fetch: (input, init) => exports.default.fetch(new Request(input, init)),
        WebSocket: DroppableSocket as unknown as typeof WebSocket,
      });
    const task = await client.enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    const stranger = as(await createKey("client-stranger"));
    await expect(stranger.watchTask(task.name, () => {}).done).rejects.toMatchObject({ status: 404 });
    await expect(as("nobody:wrong").watchTask(task.name, () => {}).done).rejects.toMatchObject({ status: 401 });
  });

  it("a watch in a runtime without WebSocket fails with a reason instead of retrying forever", async () => {
    vi.stubGlobal("WebSocket", undefined);
    try {
      const bare = createClient({
        baseUrl: "http://switchyard.test",
        apiKey: ADMIN,
        fetch: (input, init) => exports.default.fetch(new Request(input, init)),
      });
      const task = await client.enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
      const closed: string[] = [];
      const watch = bare.watchTask(task.name, () => {}, { onConnection: (_s, reason) => closed.push(reason ?? "") });
      await expect(watch.done).rejects.toThrow(/no WebSocket: use Node.js 22/);
      expect(closed).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("watchAllTasks", () => {
  const as = (apiKey: string) =>
    createClient({
      baseUrl: "http://switchyard.test",
      apiKey,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
      WebSocket: DroppableSocket as unknown as typeof WebSocket,
    });

  it("delivers another user's events to a System Manager, and refuses everyone else", async () => {
    const erin = as(await createKey("client-all-erin"));
    const seen: TaskEvent[] = [];
    let snapshots = 0;
    const watch = client.watchAllTasks((e) => seen.push(e), { onSnapshot: () => snapshots++ });
    await expect.poll(() => snapshots).toBe(1);
    const task = await erin.enqueue({ method: "demo.noop" });
    await expect.poll(() => seen.find((e) => e.name === task.name && e.status === "Finished")).toBeDefined();
    expect(seen.find((e) => e.name === task.name)?.owner).toBe("client-all-erin");
    watch.stop();
    await expect(erin.watchAllTasks(() => {}).done).rejects.toMatchObject({ status: 403 });
  });
});

describe("scheduled jobs through the client", () => {
  it("createSchedule, getSchedule, runSchedule, scheduleRuns, stop/start, skip, updateSchedule and deleteSchedule", async () => {
    const client = createClient({
      baseUrl: "http://switchyard.test",
      apiKey: ADMIN,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });
    const name = `client-${crypto.randomUUID().slice(0, 8)}`;
    const created = await client.createSchedule({
      name,
      method: "demo.echo",
      frequency: "cron",
      cron: "0 8 * * *",
      timezone: "Europe/Berlin",
    });
    expect(created.next_runs?.[0]).toMatch(/T08:00:00\+0[12]:00$/);
    expect((await client.getSchedule(name)).timing).toMatch(/08:00/);
    const { task } = await client.runSchedule(name);
    const runs = await client.scheduleRuns(name);
    expect(runs.data[0]).toMatchObject({ kind: "manual", task_name: task });
    expect((await client.stopSchedule(name, "holidays")).stop_note).toBe("holidays");
    expect((await client.startSchedule(name)).stopped).toBe(false);
    expect((await client.skipSchedule(name, 3)).skip_next).toBe(3);
    const updated = await client.updateSchedule(name, { method: "demo.echo", frequency: "hourly" });
    expect(updated.frequency).toBe("hourly");
    expect((await client.listSchedules()).data.map((s) => s.name)).toContain(name);
    await client.deleteSchedule(name);
    await expect(client.getSchedule(name)).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});
