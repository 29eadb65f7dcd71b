// Enqueue input: validation, keyword arguments, defaults and actions — bad input writes nothing.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  uid,
  FAR_FUTURE,
  UNKNOWN_TASK,
  TASK_ACTIONS,
  expectNoTaskWritten,
  type Res,
  expectErrorEnvelope,
  rejectEnqueue,
  act,
} from "./api-support";
import { ADMIN, call, enqueue, getTask, waitForStatus } from "./helpers";

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

  it("arguments nested deeper than 64 levels are a 400 (even 10,000 levels), and 64 levels are accepted", async () => {
    const nest = (levels: number) => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    // The arguments object is level 1, so 63 arrays inside it make 64 levels.
    await enqueue({ method: "demo.echo", arguments: { deep: nest(63) } });
    for (const levels of [64, 10_000]) {
      const error = await rejectEnqueue(
        { method: "demo.echo", arguments: { deep: nest(levels) } },
        400,
        "arguments_too_deep",
      );
      expect(error.message).toMatch(/64 levels/);
      expect(error.details.path).toBe("arguments");
    }
    // Loose keyword arguments count too.
    await rejectEnqueue({ method: "demo.echo", deep: nest(64) }, 400, "arguments_too_deep");
  });

  it("a report method is refused at enqueue with a 400 that says where report jobs are started", async () => {
    const error = await rejectEnqueue(
      { method: "report:Demo Numbers", arguments: { filters: { rows: 1 } } },
      400,
      "not_enqueueable",
    );
    expect(error.message).toContain("/api/v1/reports/{report_name}/jobs");
    const methods = await call("/api/v1/methods");
    const report = methods.body.data.find((m: { method: string }) => m.method === "report:Demo Numbers");
    expect(report.can_enqueue).toBe(false);
    expect(methods.body.data.find((m: { method: string }) => m.method === "demo.echo").can_enqueue).toBe(true);
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
