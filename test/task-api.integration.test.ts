// The rest of the task API contract: dedupe, task types, document actions and listing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uid, FAR_FUTURE, taskCount, expectErrorEnvelope, rejectEnqueue, act, list } from "./api-support";
import { call, createKey, enqueue, getTask, setDispatcher, settleLog, waitForStatus } from "./helpers";

describe("dedupe_key", () => {
  it("retrying an ended task whose dedupe_key a live task now holds is a 409 that changes nothing", async () => {
    const key = `retry-dedupe-${uid()}`;
    const first = await enqueue({ method: "demo.fail", arguments: { message: "x", permanent: true }, dedupe_key: key });
    await waitForStatus(first.name, "Failed");
    await setDispatcher(false);
    try {
      // Dedupe keys are per method: the live holder is a task of the same method.
      const second = await enqueue({ method: "demo.fail", arguments: { message: "y" }, dedupe_key: key });
      expect(second.name).not.toBe(first.name);
      const single = await call(`/api/v1/tasks/${first.name}/retry`, { method: "POST", body: {} });
      expectErrorEnvelope(single, 409, "conflict");
      const bulk = await call("/api/v1/tasks/actions", { body: { action: "retry", names: [first.name] } });
      expectErrorEnvelope(bulk, 409, "conflict");
      expect((await getTask(first.name)).status).toBe("Failed");
    } finally {
      await setDispatcher(true);
    }
  });

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
    // The list reads the log: let it catch up with the objects.
    await settleLog();
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
