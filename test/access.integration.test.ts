// Access: other users' tasks are invisible (404), and roles gate what each user may change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  uid,
  FAR_FUTURE,
  UNKNOWN_TASK,
  TASK_ACTIONS,
  expectErrorEnvelope,
  rejectEnqueue,
  act,
  list,
  keyId,
} from "./api-support";
import { call, createKey, enqueue, getTask, setDispatcher, settleLog, waitForStatus } from "./helpers";

describe("visibility of other users' tasks", () => {
  const userA = `alice-${uid()}`;
  const userB = `bob-${uid()}`;
  const batch = `vis-${uid()}`;
  let keyA: string;
  let keyB: string;
  let taskA: any;

  beforeAll(async () => {
    keyA = await createKey(userA);
    keyB = await createKey(userB);
    taskA = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE, batch_id: batch }, keyA);
    // Lists read the log: let it catch up, so "B's list lacks A's task" is a real check.
    await settleLog();
  });

  afterAll(async () => {
    await act(taskA.name, "cancel", keyA);
  });

  it("another user's task is a 404 on GET and on every action, and the actions change nothing", async () => {
    expectErrorEnvelope(await call(`/api/v1/tasks/${taskA.name}`, { key: keyB }), 404, "not_found");
    for (const action of TASK_ACTIONS) {
      const res = await act(taskA.name, action, keyB);
      expect(res.status, `${action}: ${JSON.stringify(res.body)}`).toBe(404);
      expectErrorEnvelope(res, 404, "not_found");
    }
    const after = await getTask(taskA.name);
    expect(after.status).toBe("Pending");
    expect(after.owner).toBe(userA);
  });

  it("the 404 for someone else's task is indistinguishable from a missing task", async () => {
    const theirs = await call(`/api/v1/tasks/${taskA.name}`, { key: keyB });
    const missing = await call(`/api/v1/tasks/${UNKNOWN_TASK}`, { key: keyB });
    expect(theirs.status).toBe(missing.status);
    expect(theirs.body.error.code).toBe(missing.body.error.code);
  });

  it("another user's list does not contain the task, even when asking for ?owner=", async () => {
    const own = await list({ batch_id: batch, limit: 500 }, keyB);
    expect(own.status).toBe(200);
    expect(own.body.data).toEqual([]);
    const all = await list({ limit: 500 }, keyB);
    expect(all.body.data.map((t: any) => t.name)).not.toContain(taskA.name);
    const asOwner = await list({ owner: userA }, keyB);
    expect(asOwner.status).toBe(200);
    expect(asOwner.body).toEqual({ data: [], next_cursor: null });
  });

  it("the owner and the admin both see the task", async () => {
    const mine = await list({ batch_id: batch }, keyA);
    expect(mine.body.data.map((t: any) => t.name)).toEqual([taskA.name]);
    expect((await call(`/api/v1/tasks/${taskA.name}`, { key: keyA })).status).toBe(200);
    const admin = await list({ owner: userA, batch_id: batch });
    expect(admin.body.data.map((t: any) => t.name)).toEqual([taskA.name]);
    expect((await getTask(taskA.name)).owner).toBe(userA);
  });

  it("a task runs as its owner", async () => {
    const task = await enqueue({ method: "demo.echo", arguments: { hi: 1 } }, keyA);
    expect(task.owner).toBe(userA);
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result.owner).toBe(userA);
    expect(done.result.args).toEqual({ hi: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Roles
// ---------------------------------------------------------------------------------------------

describe("roles", () => {
  const TOGGLE = "/api/method/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher";
  const taskUser = `tu-${uid()}`;
  let key: string;

  beforeAll(async () => {
    key = await createKey(taskUser, ["Task User"]);
    const put = await call("/api/v1/task-types/demo.count", {
      method: "PUT",
      body: { priority: 7, concurrency_limit: 4, is_standard: false },
    });
    expect(put.status).toBe(200);
  });

  it("a Task User cannot PUT a task type (403) and the type is unchanged", async () => {
    const res = await call("/api/v1/task-types/demo.count", { method: "PUT", key, body: { priority: 99 } });
    expectErrorEnvelope(res, 403, "forbidden");
    const after = await call("/api/v1/task-types/demo.count");
    expect(after.body).toMatchObject({ priority: 7, concurrency_limit: 4 });
  });

  it("a Task User cannot create a task type either (403) and none appears", async () => {
    const before = await call("/api/v1/task-types/demo.sleep");
    const res = await call("/api/v1/task-types/demo.sleep", { method: "PUT", key, body: { priority: 1 } });
    expectErrorEnvelope(res, 403, "forbidden");
    const after = await call("/api/v1/task-types/demo.sleep");
    expect(after.status).toBe(before.status);
    expect(after.body).toEqual(before.body);
  });

  it("a Task User cannot DELETE a task type (403) and it still exists", async () => {
    expectErrorEnvelope(await call("/api/v1/task-types/demo.count", { method: "DELETE", key }), 403, "forbidden");
    expect((await call("/api/v1/task-types/demo.count")).status).toBe(200);
  });

  it("a Task User cannot PUT /api/v1/dispatcher (403) and it stays enabled", async () => {
    const res = await call("/api/v1/dispatcher", { method: "PUT", key, body: { enabled: false } });
    expectErrorEnvelope(res, 403, "forbidden");
    expect((await call("/api/v1/dispatcher")).body.enabled).toBe(true);
  });

  it("a Task User cannot create or list API keys (403) and no key is created", async () => {
    const before = (await call("/api/v1/api-keys")).body.data.length;
    const created = await call("/api/v1/api-keys", {
      key,
      body: { user: `escalated-${uid()}`, roles: ["System Manager"] },
    });
    expectErrorEnvelope(created, 403, "forbidden");
    expectErrorEnvelope(await call("/api/v1/api-keys", { key }), 403, "forbidden");
    expectErrorEnvelope(await call(`/api/v1/api-keys/${keyId(key)}`, { method: "DELETE", key }), 403, "forbidden");
    const after = (await call("/api/v1/api-keys")).body.data;
    expect(after.length).toBe(before);
    expect(after.find((k: any) => k.key === keyId(key))?.revoked_at).toBeNull();
  });

  it("a Report User cannot enqueue a Task User method (403 naming the method) and nothing is written", async () => {
    const reporter = await createKey(`ru-${uid()}`, ["Report User"]);
    const error = await rejectEnqueue({ method: "demo.echo" }, 403, "forbidden", reporter);
    expect(error.message).toContain("demo.echo");
  });

  it("a Task User cannot read the ops summary (403)", async () => {
    expectErrorEnvelope(await call("/api/v1/ops", { key }), 403, "forbidden");
  });

  it("the Frappe toggle_dispatcher path without credentials is a 401 AuthenticationError body", async () => {
    const res = await call(TOGGLE, { key: null, body: { enable: 0 } });
    expect(res.status).toBe(401);
    expect(res.body.exc_type).toBe("AuthenticationError");
    expect((await call("/api/v1/dispatcher")).body.enabled).toBe(true);
  });

  it("the Frappe toggle_dispatcher path is a 403 PermissionError body for a Task User and changes nothing", async () => {
    const res = await call(TOGGLE, { key, body: { enable: 0 } });
    expect(res.status).toBe(403);
    expect(res.body.exc_type).toBe("PermissionError");
    expect(res.body.error).toBeUndefined();
    expect((await call("/api/v1/dispatcher")).body.enabled).toBe(true);
  });

  it("the Frappe toggle_dispatcher path switches the dispatcher for the admin (JSON and form bodies)", async () => {
    try {
      const off = await call(TOGGLE, { body: { enable: 0 } });
      expect(off.status, JSON.stringify(off.body)).toBe(200);
      expect(off.body).toEqual({ message: { enabled: false, updated_at: expect.any(String) } });
      expect((await call("/api/v1/dispatcher")).body.enabled).toBe(false);

      const on = await call(TOGGLE, {
        rawBody: "enable=1",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(on.status, JSON.stringify(on.body)).toBe(200);
      expect(on.body.message.enabled).toBe(true);
      expect((await call("/api/v1/dispatcher")).body.enabled).toBe(true);
    } finally {
      await setDispatcher(true);
    }
  });

  it("the Frappe toggle_dispatcher path rejects a missing or bad enable with a Frappe ValidationError", async () => {
    const missing = await call(TOGGLE, { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.exc_type).toBe("ValidationError");
    const bad = await call(TOGGLE, { body: { enable: "maybe" } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/enable/);
    expect((await call("/api/v1/dispatcher")).body.enabled).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. Dedupe
// ---------------------------------------------------------------------------------------------
