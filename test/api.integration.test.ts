// Integration tests of the HTTP API contract (product.md §2.1–2.3, §5, §7, §8): validation, auth,
// visibility, roles, dedupe, task types, document actions and listing. Everything goes through the
// Worker's fetch handler in workerd against real local D1, with the queue consumers running.
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, call, createKey, enqueue, getTask, setDispatcher, waitForStatus } from "./helpers";

// ---------------------------------------------------------------------------------------------
// Local helpers
// ---------------------------------------------------------------------------------------------

/** A short random suffix so names, users and batch ids never collide between tests. */
const uid = () => crypto.randomUUID().slice(0, 8);

/** A start time far enough ahead that a task stays Pending for the whole test run. */
const FAR_FUTURE = new Date(Date.now() + 24 * 3_600_000).toISOString();

/** A syntactically valid task name (26-char ULID shape) that no task has. */
const UNKNOWN_TASK = "01ZZZZZZZZZZZZZZZZZZZZZZZZ";

const TASK_ACTIONS = ["cancel", "retry", "pause", "resume", "run-now"] as const;

/** Rows in the tasks table, read straight from D1. */
async function taskCount(): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from tasks").first<{ n: number }>();
  return row?.n ?? -1;
}

/** Runs `fn` and asserts the tasks table has exactly as many rows afterwards as before. */
async function expectNoTaskWritten<T>(fn: () => Promise<T>): Promise<T> {
  const before = await taskCount();
  const result = await fn();
  expect(await taskCount(), "a rejected request must not write a task").toBe(before);
  return result;
}

type Res = Awaited<ReturnType<typeof call<any>>>;

/** Asserts the `{ error: { code, message, details } }` envelope with `status` (and `code` if given). */
function expectErrorEnvelope(res: Res, status: number, code?: string): { code: string; message: string; details: any } {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/application\/json/);
  expect(res.body).toBeTypeOf("object");
  expect(Object.keys(res.body).sort()).toEqual(["error"]);
  const error = res.body.error;
  expect(Object.keys(error).sort()).toEqual(["code", "details", "message"]);
  expect(error.code).toBeTypeOf("string");
  expect(error.message).toBeTypeOf("string");
  expect(error.message.length).toBeGreaterThan(0);
  if (code !== undefined) expect(error.code).toBe(code);
  return error;
}

/** POSTs a task spec and expects a rejection with the envelope; asserts no task was written. */
async function rejectEnqueue(spec: unknown, status: number, code?: string, key: string = ADMIN) {
  return expectNoTaskWritten(async () => {
    const res = await call("/api/v1/tasks", { body: spec, key });
    return expectErrorEnvelope(res, status, code);
  });
}

/** POSTs a task action (no body). */
function act(name: string, action: string, key: string = ADMIN): Promise<Res> {
  return call(`/api/v1/tasks/${name}/${action}`, { method: "POST", key });
}

/** Lists tasks with query parameters. */
function list(query: Record<string, string | number>, key: string = ADMIN): Promise<Res> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return call(`/api/v1/tasks?${qs.toString()}`, { key });
}

/** The `key` part of a "key:secret" credential. */
const keyId = (credential: string) => credential.slice(0, credential.indexOf(":"));

// ---------------------------------------------------------------------------------------------
// 1. Bad input
// ---------------------------------------------------------------------------------------------

describe("enqueue input validation", () => {
  it("an unknown method is a 400 that names the method and writes nothing", async () => {
    const error = await rejectEnqueue({ method: "nope.not_registered", arguments: {} }, 400, "unknown_method");
    expect(error.message).toContain("nope.not_registered");
  });

  it("neither a method nor the three document fields is a 400 that says what to pass and writes nothing", async () => {
    const error = await rejectEnqueue({ arguments: { a: 1 } }, 400, "missing_fields");
    expect(error.message).toMatch(/method/);
    expect(error.message).toMatch(/document_type/);
    expect(error.message).toMatch(/document_name/);
    expect(error.message).toMatch(/document_action/);
  });

  it("only some of the document fields is a 400 that names all three and writes nothing", async () => {
    const error = await rejectEnqueue({ document_type: "Demo Invoice", document_name: "INV-1" }, 400, "missing_fields");
    expect(error.message).toMatch(/document_action/);
    const onlyAction = await rejectEnqueue({ method: "demo.echo", document_action: "submit" }, 400, "missing_fields");
    expect(onlyAction.message).toMatch(/document_type/);
  });

  it("an argument of the wrong type is a 400 naming the method and the argument, and writes nothing", async () => {
    const error = await rejectEnqueue({ method: "demo.sleep", arguments: { ms: "x" } }, 400, "invalid_arguments");
    expect(error.message).toContain("demo.sleep");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "arguments.ms" })]));
  });

  it("an argument a strict method does not take is a 400 and writes nothing", async () => {
    const error = await rejectEnqueue(
      { method: "demo.sleep", arguments: { ms: 1, bogus: true } },
      400,
      "invalid_arguments",
    );
    expect(error.message).toContain("demo.sleep");
    expect(JSON.stringify(error.details)).toContain("bogus");
  });

  it("arguments JSON over 64 KB is a 413 that states the limit and writes nothing", async () => {
    const error = await rejectEnqueue(
      { method: "demo.echo", arguments: { blob: "x".repeat(64 * 1024) } },
      413,
      "arguments_too_large",
    );
    expect(error.message).toMatch(/arguments/);
    expect(error.message).toContain(String(64 * 1024));
  });

  it("loose keyword arguments count towards the 64 KB limit (413, nothing written)", async () => {
    await rejectEnqueue({ method: "demo.echo", blob: "y".repeat(64 * 1024) }, 413, "arguments_too_large");
  });

  it("arguments just under 64 KB are accepted", async () => {
    // {"blob":"…"} is 11 bytes of framing.
    const task = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE, arguments: { blob: "z".repeat(65_000) } });
    expect(task.arguments.blob).toHaveLength(65_000);
    await act(task.name, "cancel");
  });

  it("a request body over 1 MB is a 413 envelope and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      const res = await call("/api/v1/tasks", {
        rawBody: JSON.stringify({ method: "demo.echo", blob: "b".repeat(1024 * 1024 + 10) }),
      });
      expectErrorEnvelope(res, 413, "payload_too_large");
    });
  });

  it("an unknown queue is a 400 whose message names the queue field, and writes nothing", async () => {
    const error = await rejectEnqueue({ method: "demo.echo", queue: "urgent" }, 400, "validation_failed");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "queue" })]));
    expect(error.message).toMatch(/queue/);
  });

  it("a negative timeout is a 400 whose message names the timeout field, and writes nothing", async () => {
    const error = await rejectEnqueue({ method: "demo.echo", timeout: -5 }, 400, "validation_failed");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "timeout" })]));
    expect(error.message).toMatch(/timeout/);
  });

  it("malformed JSON is a 400 envelope that says the JSON is malformed, and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      const res = await call("/api/v1/tasks", { rawBody: '{"method": "demo.echo", ' });
      const error = expectErrorEnvelope(res, 400, "malformed_json");
      expect(error.message).toMatch(/json/i);
    });
  });

  it("a JSON body that is not an object is a 400 envelope and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      const res = await call("/api/v1/tasks", { rawBody: '["demo.echo"]' });
      expectErrorEnvelope(res, 400, "validation_failed");
    });
  });

  it("a body with no Content-Type header is a 415 envelope about the media type, and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      // Straight through the fetch handler: a byte body gets no Content-Type from fetch, and the
      // body itself is a perfectly valid task spec.
      const response = await exports.default.fetch(
        new Request("http://switchyard.test/api/v1/tasks", {
          method: "POST",
          headers: { authorization: `token ${ADMIN}` },
          body: new TextEncoder().encode(JSON.stringify({ method: "demo.echo", arguments: { a: 1 } })),
        }),
      );
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      const res: Res = { status: response.status, body: await response.json(), headers: response.headers };
      const error = expectErrorEnvelope(res, 415, "unsupported_media_type");
      expect(error.message).toMatch(/media type|content-type|application\/json/i);
    });
  });

  it("a text/plain body is a 415 envelope, and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      const res = await call("/api/v1/tasks", {
        rawBody: JSON.stringify({ method: "demo.echo" }),
        headers: { "content-type": "text/plain" },
      });
      expectErrorEnvelope(res, 415, "unsupported_media_type");
    });
  });

  it("non-object arguments (array, string, number) are a 400 naming arguments, and write nothing", async () => {
    for (const bad of [[1, 2], "ms=5", 5]) {
      const error = await rejectEnqueue({ method: "demo.echo", arguments: bad }, 400, "validation_failed");
      expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "arguments" })]));
      expect(error.message, `arguments: ${JSON.stringify(bad)}`).toMatch(/arguments/);
    }
  });

  it("an unknown task name is a 404 envelope on GET and on every action", async () => {
    expectErrorEnvelope(await call(`/api/v1/tasks/${UNKNOWN_TASK}`), 404, "not_found");
    for (const action of TASK_ACTIONS) {
      const error = expectErrorEnvelope(await act(UNKNOWN_TASK, action), 404, "not_found");
      expect(error.message, action).toContain(UNKNOWN_TASK);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Keyword arguments
// ---------------------------------------------------------------------------------------------

describe("keyword arguments", () => {
  it("loose top-level keys become arguments and `arguments` wins on a collision", async () => {
    const task = await enqueue({
      method: "demo.echo",
      color: "from-top-level",
      size: 3,
      arguments: { color: "from-arguments", shape: "round" },
    });
    expect(task.arguments).toEqual({ color: "from-arguments", size: 3, shape: "round" });
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result.args).toEqual({ color: "from-arguments", size: 3, shape: "round" });
  });

  it("enqueue options are never passed to the handler as arguments", async () => {
    const task = await enqueue({ method: "demo.echo", job_name: `echo-${uid()}`, priority: 3, only: 1 });
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result.args).toEqual({ only: 1 });
    expect(done.job_name).toBe(task.job_name);
  });
});

// ---------------------------------------------------------------------------------------------
// Enqueue defaults and single-task actions
// ---------------------------------------------------------------------------------------------

describe("enqueue defaults and task actions", () => {
  it("the timeout defaults by queue (long 1500 s, short and default 300 s) and job_name to the method", async () => {
    const long = await enqueue({ method: "demo.echo", queue: "long", run_at: FAR_FUTURE });
    const short = await enqueue({ method: "demo.echo", queue: "short", run_at: FAR_FUTURE });
    const plain = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE });
    expect([long.timeout, short.timeout, plain.timeout]).toEqual([1500, 300, 300]);
    expect([long.queue, short.queue, plain.queue]).toEqual(["long", "short", "default"]);
    expect(plain.job_name).toBe("demo.echo");
    for (const t of [long, short, plain]) await act(t.name, "cancel");
  });

  it("an action the task's status does not allow is a 409 envelope naming the status, and changes nothing", async () => {
    const task = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE });
    const error = expectErrorEnvelope(await act(task.name, "resume"), 409, "conflict");
    expect(error.message).toMatch(/Pending/);
    expect(error.details).toEqual({ status: "Pending" });
    expect((await getTask(task.name)).status).toBe("Pending");
    expect((await act(task.name, "pause")).body.status).toBe("Paused");
    expect((await act(task.name, "resume")).body.status).toBe("Pending");
    expect((await act(task.name, "cancel")).body.status).toBe("Canceled");
    expectErrorEnvelope(await act(task.name, "pause"), 409, "conflict");
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Authentication
// ---------------------------------------------------------------------------------------------

describe("authentication", () => {
  const user = `auth-${uid()}@example.com`;
  let credential: string;

  beforeAll(async () => {
    credential = await createKey(user);
  });

  it("a request without credentials is a 401 envelope that explains how to authenticate", async () => {
    const res = await call("/api/v1/tasks", { key: null });
    const error = expectErrorEnvelope(res, 401, "unauthorized");
    expect(error.message).toMatch(/token/);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
  });

  it("an enqueue without credentials is a 401 and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      expectErrorEnvelope(await call("/api/v1/tasks", { key: null, body: { method: "demo.echo" } }), 401);
    });
  });

  const schemes: Array<[string, (c: string) => { path: string; headers: Record<string, string> }]> = [
    ["Authorization: token key:secret", (c) => ({ path: "/api/v1/tasks", headers: { authorization: `token ${c}` } })],
    ["Authorization: Bearer key:secret", (c) => ({ path: "/api/v1/tasks", headers: { authorization: `Bearer ${c}` } })],
    ["HTTP Basic", (c) => ({ path: "/api/v1/tasks", headers: { authorization: `Basic ${btoa(c)}` } })],
    ["?api_key=key:secret", (c) => ({ path: `/api/v1/tasks?api_key=${encodeURIComponent(c)}`, headers: {} })],
  ];

  for (const [scheme, build] of schemes) {
    it(`${scheme} authenticates as the key's user`, async () => {
      const { path, headers } = build(credential);
      const res = await call(path, { key: null, headers, body: { method: "demo.echo", run_at: FAR_FUTURE } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.owner).toBe(user);
      await act(res.body.name, "cancel");
    });
  }

  it("a wrong secret is a 401 for every scheme", async () => {
    const wrong = `${keyId(credential)}:not-the-secret`;
    for (const [scheme, build] of schemes) {
      const { path, headers } = build(wrong);
      const res = await call(path, { key: null, headers });
      expectErrorEnvelope(res, 401, "unauthorized");
      expect(res.status, scheme).toBe(401);
    }
  });

  it("an unknown key, a malformed credential and an unknown scheme are 401s", async () => {
    expectErrorEnvelope(await call("/api/v1/tasks", { key: "nosuchkey:whatever" }), 401);
    expectErrorEnvelope(await call("/api/v1/tasks", { key: "no-colon-here" }), 401);
    expectErrorEnvelope(await call("/api/v1/tasks", { key: null, headers: { authorization: `Digest ${ADMIN}` } }), 401);
  });

  it("a revoked key is a 401 afterwards (and revoking it again is a 404)", async () => {
    const doomed = await createKey(`revoked-${uid()}`);
    expect((await call("/api/v1/tasks", { key: doomed })).status).toBe(200);
    const revoke = await call(`/api/v1/api-keys/${keyId(doomed)}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    const after = await call("/api/v1/tasks", { key: doomed });
    const error = expectErrorEnvelope(after, 401, "unauthorized");
    expect(error.message).toMatch(/revoked|invalid/);
    const listed = await call("/api/v1/api-keys");
    expect(listed.body.data.find((k: any) => k.key === keyId(doomed))?.revoked_at).toBeTypeOf("string");
    expectErrorEnvelope(await call(`/api/v1/api-keys/${keyId(doomed)}`, { method: "DELETE" }), 404);
  });

  it("GET / answers 200 with the service banner and no auth", async () => {
    const res = await call("/", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.service).toBe("switchyard");
  });

  it("GET /api/v1/health answers 200 without auth", async () => {
    const res = await call("/api/v1/health", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
  });

  it("GET /api/v1/openapi.json is served without auth and lists the task paths", async () => {
    const res = await call("/api/v1/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/tasks", "/api/v1/tasks/{name}", "/api/v1/task-types/{method}"]),
    );
    expect(res.body.paths["/api/v1/tasks"].post).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Ops summary
// ---------------------------------------------------------------------------------------------

describe("ops summary", () => {
  it("GET /api/v1/ops answers 200 for the admin with the dispatcher state and per-method counts", async () => {
    const delayed = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE });
    try {
      const res = await call("/api/v1/ops");
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.dispatcher).toEqual({ enabled: true });
      const echo = res.body.methods.find((m: any) => m.method === "demo.echo");
      expect(echo?.delayed).toBeGreaterThanOrEqual(1);
    } finally {
      await act(delayed.name, "cancel");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Visibility
// ---------------------------------------------------------------------------------------------

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

describe("dedupe_key", () => {
  let keyA: string;
  let keyB: string;
  const cleanup: Array<[string, string]> = [];

  beforeAll(async () => {
    keyA = await createKey(`dedupe-a-${uid()}`);
    keyB = await createKey(`dedupe-b-${uid()}`);
  });

  afterAll(async () => {
    for (const [name, key] of cleanup) await act(name, "cancel", key);
  });

  it("a second enqueue with the same key by the same owner is a 200 returning the live task", async () => {
    const dedupe_key = `dk-${uid()}`;
    const before = await taskCount();
    const first = await call("/api/v1/tasks", {
      key: keyA,
      body: { method: "demo.echo", run_at: FAR_FUTURE, dedupe_key },
    });
    expect(first.status).toBe(201);
    cleanup.push([first.body.name, keyA]);
    const second = await call("/api/v1/tasks", {
      key: keyA,
      body: { method: "demo.echo", run_at: FAR_FUTURE, dedupe_key, arguments: { other: true } },
    });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.name).toBe(first.body.name);
    expect(second.body.arguments).toEqual(first.body.arguments);
    expect(await taskCount()).toBe(before + 1);
  });

  it("a different owner with the same key gets a new task (201)", async () => {
    const dedupe_key = `dk-${uid()}`;
    const a = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE, dedupe_key }, keyA);
    cleanup.push([a.name, keyA]);
    const res = await call("/api/v1/tasks", {
      key: keyB,
      body: { method: "demo.echo", run_at: FAR_FUTURE, dedupe_key },
    });
    expect(res.status).toBe(201);
    cleanup.push([res.body.name, keyB]);
    expect(res.body.name).not.toBe(a.name);
  });

  it("once the first task finished, the same key creates a new task (201)", async () => {
    const dedupe_key = `dk-${uid()}`;
    const first = await enqueue({ method: "demo.echo", dedupe_key }, keyA);
    await waitForStatus(first.name, "Finished");
    const res = await call("/api/v1/tasks", { key: keyA, body: { method: "demo.echo", dedupe_key } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.name).not.toBe(first.name);
    await waitForStatus(res.body.name, "Finished");
  });
  it("once the first task was canceled, the same key creates a new task (201)", async () => {
    const dedupe_key = `dk-${uid()}`;
    const first = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE, dedupe_key }, keyA);
    expect((await act(first.name, "cancel", keyA)).body.status).toBe("Canceled");
    const res = await call("/api/v1/tasks", {
      key: keyA,
      body: { method: "demo.echo", run_at: FAR_FUTURE, dedupe_key },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    cleanup.push([res.body.name, keyA]);
    expect(res.body.name).not.toBe(first.name);
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Task types
// ---------------------------------------------------------------------------------------------

describe("task types", () => {
  const typePath = (method: string) => `/api/v1/task-types/${encodeURIComponent(method)}`;

  it("PUT creates and updates a task type, GET lists it, and omitted fields keep their values", async () => {
    const created = await call(typePath("demo.fail"), {
      method: "PUT",
      body: { priority: 5, concurrency_limit: 3, is_standard: false },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ method: "demo.fail", priority: 5, concurrency_limit: 3, is_standard: false });

    const updated = await call(typePath("demo.fail"), { method: "PUT", body: { priority: 6 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ priority: 6, concurrency_limit: 3, is_standard: false });

    const one = await call(typePath("demo.fail"));
    expect(one.body).toMatchObject({ method: "demo.fail", priority: 6, concurrency_limit: 3 });
    const all = await call("/api/v1/task-types");
    expect(all.status).toBe(200);
    expect(all.body.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ method: "demo.fail", priority: 6, concurrency_limit: 3 })]),
    );
  });

  it("a new task takes the task type's priority unless it gives its own", async () => {
    await call(typePath("demo.fail"), { method: "PUT", body: { priority: 6 } });
    const byType = await enqueue({ method: "demo.fail", run_at: FAR_FUTURE });
    const explicit = await enqueue({ method: "demo.fail", run_at: FAR_FUTURE, priority: -2 });
    expect(byType.priority).toBe(6);
    expect(explicit.priority).toBe(-2);
    await act(byType.name, "cancel");
    await act(explicit.name, "cancel");
  });

  it("DELETE of a standard type is a 409 and keeps it; DELETE of a non-standard type is a 204 then GET is 404", async () => {
    await call(typePath("demo.fail"), { method: "PUT", body: { is_standard: true } });
    const refused = await call(typePath("demo.fail"), { method: "DELETE" });
    const error = expectErrorEnvelope(refused, 409, "conflict");
    expect(error.message).toMatch(/standard/);
    expect((await call(typePath("demo.fail"))).status).toBe(200);

    await call(typePath("demo.fail"), { method: "PUT", body: { is_standard: false } });
    const deleted = await call(typePath("demo.fail"), { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expectErrorEnvelope(await call(typePath("demo.fail")), 404, "not_found");
    const all = await call("/api/v1/task-types");
    expect(all.body.data.map((t: any) => t.method)).not.toContain("demo.fail");
  });

  it("a document action's method can have a task type (path with a space and a dot)", async () => {
    const res = await call(typePath("Demo Invoice.remind"), { method: "PUT", body: { concurrency_limit: 2 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.method).toBe("Demo Invoice.remind");
    expect((await call(typePath("Demo Invoice.remind"), { method: "DELETE" })).status).toBe(204);
  });

  it("PUT for an unknown method is a 400 naming it and creates nothing", async () => {
    const error = expectErrorEnvelope(
      await call(typePath("nope.unknown"), { method: "PUT", body: { priority: 1 } }),
      400,
      "unknown_method",
    );
    expect(error.message).toContain("nope.unknown");
    expectErrorEnvelope(await call(typePath("nope.unknown")), 404);
  });

  it("concurrency_limit -1 is a 400 naming the field and changes nothing", async () => {
    await call(typePath("demo.count"), { method: "PUT", body: { concurrency_limit: 4 } });
    const res = await call(typePath("demo.count"), { method: "PUT", body: { concurrency_limit: -1 } });
    const error = expectErrorEnvelope(res, 400, "validation_failed");
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "concurrency_limit" })]));
    expect(error.message).toMatch(/concurrency_limit/);
    expect((await call(typePath("demo.count"))).body.concurrency_limit).toBe(4);
  });

  it("an unknown field in a task type body is a 400", async () => {
    const res = await call(typePath("demo.count"), { method: "PUT", body: { concurrency: 1 } });
    expectErrorEnvelope(res, 400, "validation_failed");
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Document actions
// ---------------------------------------------------------------------------------------------

describe("document actions", () => {
  it("submit runs the inner _submit and the task's method is '<document_type>.<action>'", async () => {
    const task = await enqueue({
      document_type: "Demo Invoice",
      document_name: "INV-1",
      document_action: "submit",
      arguments: { note: "x" },
    });
    expect(task.method).toBe("Demo Invoice.submit");
    expect(task).toMatchObject({ document_type: "Demo Invoice", document_name: "INV-1", document_action: "submit" });
    expect(task.job_name).toBe("Demo Invoice.submit");
    const done = await waitForStatus(task.name, ["Finished", "Failed"]);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.result).toMatchObject({ name: "INV-1", via: "_submit", docstatus: 1, args: { note: "x" } });
    expect(done.result.submitted_by).toBe("Administrator");
  });

  it("remind (no inner function) runs remind itself", async () => {
    const task = await enqueue({ document_type: "Demo Invoice", document_name: "INV-2", document_action: "remind" });
    expect(task.method).toBe("Demo Invoice.remind");
    const done = await waitForStatus(task.name, ["Finished", "Failed"]);
    expect(done.status, done.error_message).toBe("Finished");
    expect(done.result).toMatchObject({ name: "INV-2", reminded: true, via: "remind" });
  });

  it("a missing document fails permanently: not found, and no retry is scheduled despite max_retries", async () => {
    const task = await enqueue({
      document_type: "Demo Invoice",
      document_name: "missing-1",
      document_action: "remind",
      max_retries: 2,
      retry_delay: 0,
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.error_message).toMatch(/not found/);
    expect(failed.error_message).toContain("missing-1");
    expect(failed.retry_at).toBeNull();
    expect(failed.retry_count).toBe(0);
    expect(failed.status_message).toBeNull();
    expect(failed.attempt).toBe(1);
  });

  it("an unknown document type or action is a 400 naming it and writes nothing", async () => {
    const type = await rejectEnqueue(
      { document_type: "Nope Doc", document_name: "X", document_action: "submit" },
      400,
      "unknown_document_type",
    );
    expect(type.message).toContain("Nope Doc");
    const action = await rejectEnqueue(
      { document_type: "Demo Invoice", document_name: "X", document_action: "void" },
      400,
      "unknown_action",
    );
    expect(action.message).toContain("void");
  });

  it("the inner _action cannot be queued directly (400)", async () => {
    await rejectEnqueue(
      { document_type: "Demo Invoice", document_name: "X", document_action: "_submit" },
      400,
      "unknown_action",
    );
  });

  it("a document action's method string cannot be enqueued as a plain method (400)", async () => {
    await rejectEnqueue({ method: "Demo Invoice.submit" }, 400, "unknown_method");
  });

  it("a method that contradicts the document fields is a 400", async () => {
    await rejectEnqueue(
      { method: "demo.echo", document_type: "Demo Invoice", document_name: "X", document_action: "submit" },
      400,
      "conflicting_fields",
    );
  });

  it("document action arguments are validated against the action's schema", async () => {
    const error = await rejectEnqueue(
      { document_type: "Demo Invoice", document_name: "X", document_action: "remind", arguments: { note: 5 } },
      400,
      "invalid_arguments",
    );
    expect(error.message).toContain("Demo Invoice.remind");
  });
});

// ---------------------------------------------------------------------------------------------
// 9. Listing
// ---------------------------------------------------------------------------------------------

describe("task list", () => {
  const batch = `list-${uid()}`;
  const created: any[] = [];

  beforeAll(async () => {
    const methods = ["demo.echo", "demo.sleep", "demo.echo", "demo.sleep", "demo.echo"];
    for (const [i, method] of methods.entries()) {
      const args = method === "demo.sleep" ? { ms: 1 } : { i };
      created.push(await enqueue({ method, arguments: args, run_at: FAR_FUTURE, batch_id: batch, batch_order: i }));
    }
    const paused = await act(created[1].name, "pause");
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe("Paused");
  });

  afterAll(async () => {
    for (const task of created) await act(task.name, "cancel");
  });

  it("cursor pagination returns every task of the batch exactly once, newest first", async () => {
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const query: Record<string, string | number> = { batch_id: batch, limit: 2 };
      if (cursor !== null) query.cursor = cursor;
      const res = await list(query);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(["data", "next_cursor"]);
      pageSizes.push(res.body.data.length);
      seen.push(...res.body.data.map((t: any) => t.name));
      cursor = res.body.next_cursor;
      if (cursor === null) break;
    }
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(created.map((t) => t.name).reverse());
    expect(new Set(seen).size).toBe(5);
  });

  it("filters by method within the batch", async () => {
    const res = await list({ batch_id: batch, method: "demo.sleep" });
    expect(res.body.data.map((t: any) => t.name)).toEqual([created[3].name, created[1].name]);
    expect(res.body.next_cursor).toBeNull();
  });

  it("filters by status within the batch", async () => {
    const paused = await list({ batch_id: batch, status: "Paused" });
    expect(paused.body.data.map((t: any) => t.name)).toEqual([created[1].name]);
    const pending = await list({ batch_id: batch, status: "Pending" });
    expect(pending.body.data.map((t: any) => t.name)).toEqual([
      created[4].name,
      created[3].name,
      created[2].name,
      created[0].name,
    ]);
  });

  it("combines method and status filters", async () => {
    const res = await list({ batch_id: batch, method: "demo.sleep", status: "Pending" });
    expect(res.body.data.map((t: any) => t.name)).toEqual([created[3].name]);
  });

  it("an unknown batch_id gives an empty page", async () => {
    expect((await list({ batch_id: `none-${uid()}` })).body).toEqual({ data: [], next_cursor: null });
  });

  it("an unknown status, a limit of 0 and a limit over 500 are 400 envelopes", async () => {
    expectErrorEnvelope(await list({ status: "Running" }), 400, "validation_failed");
    expectErrorEnvelope(await list({ limit: 0 }), 400, "validation_failed");
    expectErrorEnvelope(await list({ limit: 501 }), 400, "validation_failed");
  });
});
