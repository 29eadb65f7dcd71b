// The every-task realtime scope (`?all=1`): System Managers only; its watch is read in the RETURNING
// of every log write, so a subscriber registered before a change is logged always gets its event.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getDb } from "../src/db/client";
import { writeLog } from "../src/db/log";
import { FAR_FUTURE } from "./api-support";
import { call, createKey, enqueue, settleLog, waitForStatus } from "./helpers";
import { connect, subscribe } from "./ws";

/** The task as the log has it (every column but the log's own). */
async function loggedTask(name: string) {
  const { getLoggedTask } = await import("../src/db/tasks");
  const task = await getLoggedTask(getDb(env), name);
  if (!task) throw new Error(`${name} is not in the log`);
  return task;
}

const allWatch = () => env.DB.prepare("SELECT until FROM realtime_watches WHERE scope = 'all'").first();

describe("every user's tasks, live", () => {
  it("a System Manager gets a snapshot of everyone's live tasks, then every user's events in order", async () => {
    const ana = await createKey("all-ana", ["Task User"]);
    const ben = await createKey("all-ben", ["Task User"]);
    const waiting = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE }, ana);
    const done = await enqueue({ method: "demo.noop" }, ana);
    await waitForStatus(done.name, "Finished");
    // The snapshot of every user's tasks reads the log.
    await settleLog();

    const socket = await subscribe({ all: true });
    const snapshot = await socket.next((m) => m.type === "snapshot");
    const names = snapshot.data.tasks.map((t: { name: string }) => t.name);
    expect(names).toContain(waiting.name); // another user's live task
    expect(names).not.toContain(done.name); // ended tasks are not in snapshots

    const fromBen = await enqueue({ method: "demo.count", arguments: { n: 2, step_ms: 80 } }, ben);
    const fromAna = await enqueue({ method: "demo.fail", arguments: { message: "boom" } }, ana);
    await socket.next(
      (m) => m.type === "async_task_status" && m.data.name === fromBen.name && m.data.status === "Finished",
    );
    const failed = await socket.next(
      (m) => m.type === "async_task_status" && m.data.name === fromAna.name && m.data.status === "Failed",
    );
    const statuses = socket.events(fromBen.name).map((e) => e.status);
    expect(statuses.slice(0, 3)).toEqual(["Pending", "Queued", "Started"]);
    expect(statuses.at(-1)).toBe("Finished");
    expect(socket.events(fromBen.name)[0]).toMatchObject({ owner: "all-ben", method: "demo.count" });
    // The scope is an admin's: errors come with their stacks.
    expect(failed.data.error_detail).toMatch(/^Error: boom\n/);
    socket.close();
  });

  it("a subscriber registered before a change gets its event: the watch is read in the log write's own RETURNING", async () => {
    const cleo = await createKey("all-cleo", ["Task User"]);
    const task = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE }, cleo);
    await settleLog();
    const socket = await subscribe({ all: true });
    await socket.next((m) => m.type === "snapshot");
    const paused = await call(`/api/v1/tasks/${task.name}/pause`, { method: "POST", body: {} });
    expect(paused.body.status).toBe("Paused");
    const event = await socket.next(
      (m) => m.type === "async_task_status" && m.data.name === task.name && m.data.status === "Paused",
    );
    const logged = await loggedTask(task.name);
    expect(event.data).toMatchObject({ owner: "all-cleo", seq: logged.seq });
    // The log write itself reads the watch in its RETURNING.
    const { written } = await writeLog(getDb(env), [{ ...logged, seq: logged.seq + 1 }], Date.now());
    expect(written[0]?.allWatchUntil).toBeGreaterThan(Date.now());
    socket.close();
  });

  it("the owner's own subscription and the every-task one both get the same event", async () => {
    const dan = await createKey("all-dan", ["Task User"]);
    const own = await subscribe({}, dan);
    const all = await subscribe({ all: true });
    await own.next((m) => m.type === "snapshot");
    await all.next((m) => m.type === "snapshot");
    const task = await enqueue({ method: "demo.noop" }, dan);
    const finished = (m: { type: string; data: any }) =>
      m.type === "async_task_status" && m.data.name === task.name && m.data.status === "Finished";
    const [a, b] = await Promise.all([own.next(finished), all.next(finished)]);
    expect(a.data.seq).toBe(b.data.seq);
    own.close();
    all.close();
  });

  it("the last subscriber leaving drops the watch, so writes stop reading it as live", async () => {
    const socket = await subscribe({ all: true });
    await socket.next((m) => m.type === "snapshot");
    expect(await allWatch()).not.toBeNull();
    socket.close();
    await vi.waitUntil(async () => (await allWatch()) === null, { timeout: 60_000 });
    const task = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE });
    await settleLog();
    const { written } = await writeLog(getDb(env), [{ ...(await loggedTask(task.name)), seq: 1e15 }], Date.now());
    expect(written[0]?.allWatchUntil).toBeNull();
  });
});

describe("who may watch every task", () => {
  it("a Task User is refused the scope (403), and so is a Report User; their own tasks still work", async () => {
    for (const role of ["Task User", "Report User"]) {
      const key = await createKey(`all-refused-${role.split(" ")[0]?.toLowerCase()}`, [role]);
      const refused = await connect({ all: true }, key);
      expect(refused.status).toBe(403);
      const body = await refused.json<{ error: { code: string; message: string } }>();
      expect(body.error.code).toBe("forbidden");
      expect(body.error.message).toMatch(/System Manager/);
      expect((await connect({}, key)).status).toBe(101);
    }
    expect(await allWatch()).toBeNull();
  });

  it("all cannot be combined with a task or a batch", async () => {
    const task = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE });
    const res = await connect({ all: true, task: task.name });
    expect(res.status).toBe(400);
    expect(
      (await call("/api/v1/realtime?ticket=x&all=yes", { key: null, headers: { upgrade: "websocket" } })).status,
    ).toBe(400);
  });
});
