// W3C trace context end to end: the traceparent sent with an enqueue is stored on the task, given
// to the handler's ctx, sent to the remote target (the demo Frappe site checks it), carried back
// by its callbacks, and written on the attempt's log lines; a malformed one is a 400 that writes nothing.
import { env, exports } from "cloudflare:workers";
import { createClient } from "../clients/typescript/src/index";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { attemptSpanId, parseTraceparent } from "../src/shared/trace";
import { expectErrorEnvelope, expectNoTaskWritten, uid } from "./api-support";
import { ADMIN, call, settleLog, waitForStatus } from "./helpers";
import { siteTarget, waitForCalls } from "./remote-support";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
/** A sampled trace from an upstream request (a Frappe site, say). */
const UPSTREAM = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** The structured log lines written while the spy was on (every level). */
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  for (const level of ["log", "warn", "error"] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      const [first] = args;
      if (typeof first === "string" && first.startsWith("{")) {
        try {
          lines.push(JSON.parse(first) as Record<string, unknown>);
        } catch {
          // not one of ours
        }
      }
      original(...args);
    });
  }
});
afterEach(() => vi.restoreAllMocks());

async function enqueueTraced(spec: Record<string, unknown>, headers: Record<string, string>) {
  const res = await call("/api/v1/tasks", { body: spec, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe("trace context", () => {
  it("reaches the handler's ctx and every log line of the attempt", async () => {
    const task = await enqueueTraced(
      { method: "demo.echo", marker: uid() },
      { traceparent: UPSTREAM, tracestate: "erp=frappe" },
    );
    expect(task.traceparent).toBe(UPSTREAM);
    const done = await waitForStatus(task.name, "Finished");
    const span = attemptSpanId(TRACE_ID, task.name, 1);
    expect(done.result.trace).toEqual({
      traceparent: `00-${TRACE_ID}-${span}-01`,
      tracestate: "erp=frappe",
      traceId: TRACE_ID,
      spanId: span,
    });
    const attemptLines = lines.filter((l) => l.task === task.name);
    expect(attemptLines.map((l) => l.message)).toEqual(["attempt started", "attempt ended"]);
    for (const line of attemptLines) {
      expect(line).toMatchObject({ trace_id: TRACE_ID, span_id: span, traceparent: `00-${TRACE_ID}-${span}-01` });
    }
    expect(attemptLines[0]).toMatchObject({ parent_id: "00f067aa0ba902b7" });
    expect(attemptLines[1]).toMatchObject({ outcome: "finished" });
    // Kept in the log too.
    await env.METHOD_TASKS.getByName("demo.echo").flushNow();
    const row = await env.DB.prepare("SELECT traceparent, tracestate FROM tasks WHERE name = ?")
      .bind(task.name)
      .first();
    expect(row).toEqual({ traceparent: UPSTREAM, tracestate: "erp=frappe" });
  });

  it("a failing attempt's end is logged in its trace, with the outcome", async () => {
    const task = await enqueueTraced({ method: "demo.fail", permanent: true }, { traceparent: UPSTREAM });
    await waitForStatus(task.name, "Failed");
    const ended = lines.find((l) => l.task === task.name && l.message === "attempt ended");
    expect(ended).toMatchObject({ outcome: "failed", trace_id: TRACE_ID });
  });

  it("is made at enqueue when the request brings none (not sampled: no attempt lines)", async () => {
    const task = await enqueueTraced({ method: "demo.echo", marker: uid() }, {});
    const parts = parseTraceparent(task.traceparent as string);
    expect("error" in parts).toBe(false);
    if ("error" in parts) return;
    expect(parts.flags).toBe("00");
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result.trace.traceId).toBe(parts.traceId);
    expect(lines.filter((l) => l.task === task.name && l.message === "attempt ended")).toEqual([]);
  });

  it("goes to the remote target with the call, and comes back on its callbacks", async () => {
    const target = await siteTarget();
    const task = await enqueueTraced(
      { method: `${target.name}:myapp.api.long_job`, steps: 2, step_ms: 10 },
      { traceparent: UPSTREAM, tracestate: "erp=frappe" },
    );
    await waitForStatus(task.name, "Finished");
    const [received] = await waitForCalls(target.host, task.name, (calls) => calls[0]?.background === "done");
    const span = attemptSpanId(TRACE_ID, task.name, 1);
    // The site saw a valid traceparent in the task's trace, with the attempt as parent.
    expect(received?.trace).toEqual({
      traceparent: `00-${TRACE_ID}-${span}-01`,
      tracestate: "erp=frappe",
      valid: true,
      trace_id: TRACE_ID,
    });
    // Its callbacks continue the same trace, and our log lines for them say so.
    const callbacks = received?.callbacks ?? [];
    expect(callbacks.map((c) => c.kind)).toEqual(["progress", "progress", "complete"]);
    for (const cb of callbacks) expect(cb.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    // The consumer's lines of the attempt that made the call are in the trace with the attempt's span.
    const attempt = lines.filter((l) => l.task === task.name && String(l.message).startsWith("attempt "));
    expect(attempt.map((l) => [l.message, l.trace_id, l.span_id])).toEqual([
      ["attempt started", TRACE_ID, span],
      ["attempt ended", TRACE_ID, span],
    ]);
    const logged = lines.filter((l) => l.task === task.name && l.message === "remote callback");
    expect(logged.map((l) => l.action)).toEqual(["progress", "progress", "complete"]);
    for (const line of logged) expect(line.trace_id).toBe(TRACE_ID);
  });

  it("a malformed traceparent or tracestate is a 400 naming the header, and writes nothing", async () => {
    for (const [headers, code, field] of [
      [{ traceparent: "00-xyz" }, "invalid_traceparent", "traceparent"],
      [{ traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` }, "invalid_traceparent", "traceparent"],
      [{ traceparent: `ff-${TRACE_ID}-00f067aa0ba902b7-01` }, "invalid_traceparent", "traceparent"],
      [{ traceparent: UPSTREAM, tracestate: "not a list member" }, "invalid_tracestate", "tracestate"],
    ] as const) {
      await expectNoTaskWritten(async () => {
        const res = await call("/api/v1/tasks", { body: { method: "demo.echo" }, headers });
        const error = expectErrorEnvelope(res, 400, code);
        expect(error.details[0].path).toBe(field);
      });
    }
    const bulk = await call("/api/v1/tasks/bulk", {
      body: { tasks: [{ method: "demo.echo" }] },
      headers: { traceparent: "garbage" },
    });
    expectErrorEnvelope(bulk, 400, "invalid_traceparent");
  });

  it("the TypeScript client sends the trace context of its enqueue", async () => {
    const client = createClient({
      baseUrl: "http://switchyard.test",
      apiKey: ADMIN,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });
    const task = await client.enqueue({ method: "demo.echo" }, { traceparent: UPSTREAM, tracestate: "erp=frappe" });
    expect(task.traceparent).toBe(UPSTREAM);
  });

  it("a chunked bulk and a report job (REST and Frappe's start_job) join the request's trace", async () => {
    const chunked = await call("/api/v1/bulk/demo.items", {
      body: { ids: ["a", "b", "c"], chunk_size: 2 },
      headers: { traceparent: UPSTREAM, tracestate: "erp=frappe" },
    });
    expect(chunked.status, JSON.stringify(chunked.body)).toBe(201);
    await settleLog();
    const batch = await call(`/api/v1/tasks?batch_id=${chunked.body.batch_id as string}`);
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    const chunkTasks = batch.body.data as { name: string }[];
    expect(chunkTasks.length).toBe(2);
    for (const t of chunkTasks) {
      const read = await call(`/api/v1/tasks/${t.name}`);
      expect(read.body.traceparent).toBe(UPSTREAM);
    }
    // Rows no other test asks for, so neither start reuses an earlier job.
    const rows = 1000 + Math.floor(Math.random() * 100_000);
    const rest = await call("/api/v1/reports/Demo%20Numbers/jobs", {
      body: { filters: { rows } },
      headers: { traceparent: UPSTREAM },
    });
    expect(rest.status, JSON.stringify(rest.body)).toBe(202);
    expect((await call(`/api/v1/tasks/${rest.body.job_id as string}`)).body.traceparent).toBe(UPSTREAM);
    const frappe = await call(
      `/api/method/tweaks.utils.report_long_polling.start_job?report_name=Demo%20Numbers&rows=${rows + 1}`,
      { headers: { traceparent: UPSTREAM } },
    );
    expect(frappe.status, JSON.stringify(frappe.body)).toBe(200);
    expect((await call(`/api/v1/tasks/${frappe.body.message as string}`)).body.traceparent).toBe(UPSTREAM);
    // A malformed one is refused on these routes too.
    const bad = await call("/api/v1/bulk/demo.items", { body: { ids: ["z"] }, headers: { traceparent: "garbage" } });
    expectErrorEnvelope(bad, 400, "invalid_traceparent");
  });

  it("a bulk enqueue puts every task in the request's trace", async () => {
    const res = await call("/api/v1/tasks/bulk", {
      body: { tasks: [{ method: "demo.echo" }, { method: "demo.echo" }] },
      headers: { traceparent: UPSTREAM },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.tasks).toHaveLength(2);
    for (const t of res.body.tasks) {
      const read = await call(`/api/v1/tasks/${t.name as string}`);
      expect(read.body.traceparent).toBe(UPSTREAM);
    }
  });
});
