// GET /api/v1/tasks/{name}/waiting over real HTTP: every reason, from the same admission rule the
// scheduler admits by — and the line it reports (`ahead`) is the order the scheduler then admits in.
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { setSetting } from "../src/db/settings";
import { DISPATCHER_KEY } from "../src/shared/states";
import { FAR_FUTURE, UNKNOWN_TASK, act } from "./api-support";
import { ADMIN, call, createKey, enqueue, getTask, setDispatcher, setTaskType, waitForStatus } from "./helpers";

async function waiting(name: string, key = ADMIN) {
  const res = await call(`/api/v1/tasks/${name}/waiting`, { key });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(Object.keys(res.body).sort()).toEqual(["ahead", "causes", "limit", "message", "reason", "running", "until"]);
  expect(res.body.message).toBeTypeOf("string");
  return res.body;
}

const cleanup: string[] = [];
afterAll(async () => {
  for (const name of cleanup) await act(name, "cancel");
});

describe("why a task is waiting", () => {
  it("is 404 for another user's task and for a missing one, like every task read", async () => {
    const bob = await createKey("bob-waiting", ["Task User"]);
    const task = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE });
    cleanup.push(task.name);
    expect((await call(`/api/v1/tasks/${task.name}/waiting`, { key: bob })).status).toBe(404);
    expect((await call(`/api/v1/tasks/${UNKNOWN_TASK}/waiting`)).status).toBe(404);
    expect((await call(`/api/v1/tasks/${task.name}/waiting`, { key: null })).status).toBe(401);
    const own = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE }, bob);
    cleanup.push(own.name);
    expect((await waiting(own.name, bob)).reason).toBe("delayed");
  });

  it("delayed until run_at, paused while held, delayed again when resumed", async () => {
    const task = await enqueue({ method: "demo.noop", run_at: FAR_FUTURE });
    cleanup.push(task.name);
    expect(await waiting(task.name)).toMatchObject({
      reason: "delayed",
      until: task.run_at,
      ahead: null,
      limit: null,
      running: null,
    });
    expect((await act(task.name, "pause")).status).toBe(200);
    expect(await waiting(task.name)).toMatchObject({ reason: "paused", until: null });
    expect((await act(task.name, "resume")).status).toBe(200);
    expect((await waiting(task.name)).reason).toBe("delayed");
  });

  it("retry_scheduled until the retry's time after a failure with retries left", async () => {
    const task = await enqueue({
      method: "demo.fail",
      arguments: { message: "not yet" },
      max_retries: 2,
      retry_delay: 3600,
    });
    cleanup.push(task.name);
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.retry_at).not.toBeNull();
    const w = await waiting(task.name);
    expect(w).toMatchObject({ reason: "retry_scheduled", until: failed.retry_at });
    expect(w.message).toContain("retry 1 of 2");
  });

  it("not_waiting once it has run", async () => {
    const task = await enqueue({ method: "demo.noop" });
    await waitForStatus(task.name, "Finished");
    expect(await waiting(task.name)).toMatchObject({ reason: "not_waiting", ahead: null, until: null });
  });

  it("dispatcher_suspended while the switch is off — the object's own view, which is what admits", async () => {
    await setDispatcher(false);
    let task: any;
    try {
      task = await enqueue({ method: "demo.echo", arguments: { waiting: 1 } });
      expect(await waiting(task.name)).toMatchObject({ reason: "dispatcher_suspended", ahead: 0, limit: null });
      // The switch back on in D1 alone, without telling the objects as the API does: the object
      // still holds the task back, and the answer says what the object does, not what D1 says.
      await setSetting(getDb(env), DISPATCHER_KEY, "1", Date.now());
      expect(await waiting(task.name)).toMatchObject({ reason: "dispatcher_suspended", ahead: 0 });
      expect((await getTask(task.name)).status).toBe("Pending");
    } finally {
      await setDispatcher(true); // tells every object
    }
    await waitForStatus(task.name, "Finished");
    expect((await waiting(task.name)).reason).toBe("not_waiting");
  });

  it("concurrency_limit for the first in line, queued_behind with its place for the others — the order the scheduler admits in", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    // Holds the only slot (on the long queue, so it does not hold back the default queue's messages).
    const holder = await enqueue({ method: "demo.sleep", queue: "long", arguments: { ms: 600_000 } });
    cleanup.push(holder.name);
    await waitForStatus(holder.name, "Started");

    const a = await enqueue({ method: "demo.sleep", arguments: { ms: 1 }, job_name: "a" });
    expect(await waiting(a.name)).toMatchObject({ reason: "concurrency_limit", ahead: 0, limit: 1, running: 1 });
    const b = await enqueue({ method: "demo.sleep", arguments: { ms: 1 }, job_name: "b" });
    const wb = await waiting(b.name);
    expect(wb).toMatchObject({ reason: "queued_behind", ahead: 1, limit: 1, running: 1 });
    expect(wb.message).toMatch(/^1 task of demo\.sleep is ahead of it/);
    // Higher priority goes first: c is next in line, a and b move back.
    const c = await enqueue({ method: "demo.sleep", arguments: { ms: 1 }, job_name: "c", priority: 5 });
    expect(await waiting(c.name)).toMatchObject({ reason: "concurrency_limit", ahead: 0 });
    expect(await waiting(a.name)).toMatchObject({ reason: "queued_behind", ahead: 1 });
    expect(await waiting(b.name)).toMatchObject({ reason: "queued_behind", ahead: 2 });
    // Run now jumps the line (it still waits for the slot).
    expect((await act(b.name, "run-now")).status).toBe(200);
    const places = {
      b: (await waiting(b.name)).ahead,
      c: (await waiting(c.name)).ahead,
      a: (await waiting(a.name)).ahead,
    };
    expect(places).toEqual({ b: 0, c: 1, a: 2 });

    // Free the slot: the scheduler admits them one at a time, in exactly that order.
    expect((await act(holder.name, "cancel")).status).toBe(200);
    const ended = await Promise.all([a, b, c].map((t) => waitForStatus(t.name, "Finished", 60_000)));
    const at = (job: string, field: string) => Date.parse(ended.find((t) => t.job_name === job)?.[field]);
    // With one slot, each is admitted only after the one before it ended.
    expect(at("c", "queued_at")).toBeGreaterThanOrEqual(at("b", "ended_at"));
    expect(at("a", "queued_at")).toBeGreaterThanOrEqual(at("c", "ended_at"));
    await setTaskType("demo.sleep", { concurrency_limit: 0 });
  });
});
