// The Frappe-compatible long-polling API (tweaks.utils.report_long_polling.*): the start_job →
// check_status → get_result flow, event-driven waits, reuse, fast failures and visibility.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { demoRow } from "../src/reports/builtin/demo-numbers";
import { call, createKey, settleLog, waitForStatus } from "./helpers";

const M = "/api/method/tweaks.utils.report_long_polling";

/** Query string from a record. */
const qs = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

/** start_job with the given params; expects 200 and returns the job id. */
async function startJob(params: Record<string, string | number>, key?: string): Promise<string> {
  const res = await call(`${M}.start_job?${qs(params)}`, { key });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(typeof res.body.message).toBe("string");
  return res.body.message as string;
}

/** Polls check_status until it says 1 (each call itself waits up to `attempts - 1` × `sleep` s). */
async function untilDone(jobId: string, key?: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const res = await call(`${M}.check_status?${qs({ job_id: jobId, attempts: 3, sleep: 5, _ts: i })}`, { key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.message === 1) return;
    expect(res.body.message).toBe(0);
  }
  throw new Error(`job ${jobId} never finished`);
}

/** Asserts a Frappe-style error body with `status`. */
function expectFrappeError(res: { status: number; body: any }, status: number, excType: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.exc_type).toBe(excType);
  expect(typeof res.body.message).toBe("string");
  expect(res.body).not.toHaveProperty("message.result");
}

describe("the Frappe-compatible flow", () => {
  it("start_job converts query-string numbers exactly and refuses text that is not one", async () => {
    const jobId = await startJob({ report_name: "Demo Numbers", rows: "3" });
    const job = await call(`/api/v1/report-jobs/${jobId}`);
    expect(job.body.filters).toEqual({ rows: 3 });
    for (const rows of ["3x", "", "0x3"]) {
      const res = await call(`${M}.start_job?${qs({ report_name: "Demo Numbers", rows })}`);
      expect(res.status, rows).toBe(400);
      expect(res.body.exc_type).toBe("ValidationError");
      expect(res.body.message).toMatch(/rows/);
    }
  });

  it("start_job → check_status → get_result returns every row as records, typed, columns in report order", async () => {
    const jobId = await startJob({ report_name: "Demo Numbers", rows: "25", _ts: Date.now() });
    await untilDone(jobId);
    const res = await call(`${M}.get_result?${qs({ job_id: jobId, _ts: Date.now() })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const { columns, result } = res.body.message;
    expect(columns.map((c: any) => c.fieldname)).toEqual([
      "idx",
      "label",
      "quantity",
      "ratio",
      "amount",
      "posting_date",
      "active",
    ]);
    expect(columns.map((c: any) => c.fieldtype)).toEqual(["Int", "Data", "Int", "Float", "Currency", "Date", "Check"]);
    expect(new Set(columns.map((c: any) => c.label)).size).toBe(columns.length);
    expect(result).toHaveLength(25);
    for (let i = 1; i <= 25; i++) expect(result[i - 1]).toEqual(demoRow(i));
    expect(Object.keys(result[0])).toEqual(columns.map((c: any) => c.fieldname));
    expect(result[4].posting_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect([0, 1]).toContain(result[4].active);
  });
});

describe("check_status", () => {
  // Each of these waits is bounded at 25 s by the request; the test's own deadline is 15 s. An
  // answer within it can only have come from the job's end event, not from the wait running out.
  it(
    "returns 1 as soon as a job ends mid-wait: the end event releases the wait, not its 25 s bound",
    { timeout: 15_000 },
    async () => {
      // A job that would run for minutes (pauses of 60 s), ended by a cancel once the wait is on.
      const jobId = await startJob({ report_name: "Demo Numbers", rows: 100_000, pause_ms: 60_000 });
      await waitForStatus(jobId, "Started");
      const waiting = call(`${M}.check_status?${qs({ job_id: jobId, attempts: 6, sleep: 5 })}`);
      const hub = env.REALTIME.getByName("Administrator");
      await vi.waitUntil(
        () =>
          runInDurableObject(hub, (instance) =>
            (instance as unknown as { waiters: Map<string, unknown> }).waiters.has(jobId),
          ),
        { timeout: 10_000, interval: 20 },
      );
      expect((await call(`/api/v1/report-jobs/${jobId}/cancel`, { method: "POST" })).status).toBe(200);
      const res = await waiting;
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 1 });
    },
  );

  it(
    "returns 0 while the job runs when attempts=1 (no wait), and 1 once it has ended",
    { timeout: 30_000 },
    async () => {
      const jobId = await startJob({ report_name: "Demo Numbers", rows: 2000, pause_ms: 1000 });
      const quick = await call(`${M}.check_status?${qs({ job_id: jobId, attempts: 1, sleep: 5 })}`);
      expect(quick.body).toEqual({ message: 0 });
      await untilDone(jobId);
      const again = await call(`${M}.check_status?${qs({ job_id: jobId, attempts: 10, sleep: 10 })}`);
      expect(again.body).toEqual({ message: 1 });
    },
  );

  it("rejects attempts or sleep that are not numbers with a 400 ValidationError", async () => {
    const jobId = await startJob({ report_name: "Demo Numbers", rows: 1 });
    const res = await call(`${M}.check_status?${qs({ job_id: jobId, attempts: "many" })}`);
    expectFrappeError(res, 400, "ValidationError");
    expect(res.body.message).toContain("attempts");
  });
});

describe("fast failures", () => {
  it("an unknown report is a 404 DoesNotExistError at once and starts nothing", async () => {
    const before = await env.DB.prepare("select count(*) as n from report_jobs").first<{ n: number }>();
    const res = await call(`${M}.start_job?${qs({ report_name: "No Such Report" })}`);
    expectFrappeError(res, 404, "DoesNotExistError");
    expect(res.body.message).toContain("No Such Report");
    const after = await env.DB.prepare("select count(*) as n from report_jobs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("an unknown job is a 404 on check_status and get_result", async () => {
    for (const endpoint of ["check_status", "get_result"]) {
      const res = await call(`${M}.${endpoint}?${qs({ job_id: "01ZZZZZZZZZZZZZZZZZZZZZZZZ" })}`);
      expectFrappeError(res, 404, "DoesNotExistError");
    }
  });

  it("invalid filters are a 400 ValidationError naming the filter", async () => {
    const res = await call(`${M}.start_job?${qs({ report_name: "Demo Numbers", rows: "lots" })}`);
    expectFrappeError(res, 400, "ValidationError");
    expect(res.body.message).toContain("rows");
    const unknown = await call(`${M}.start_job?${qs({ report_name: "Demo Numbers", colour: "red" })}`);
    expectFrappeError(unknown, 400, "ValidationError");
    expect(unknown.body.message).toContain("colour");
  });

  it("a missing report_name is a 400", async () => {
    expectFrappeError(await call(`${M}.start_job`), 400, "ValidationError");
  });

  it("a user without one of the report's roles gets a 403 PermissionError", async () => {
    const taskUser = await createKey(`task-only-${crypto.randomUUID().slice(0, 8)}`, ["Task User"]);
    const res = await call(`${M}.start_job?${qs({ report_name: "Demo Numbers" })}`, { key: taskUser });
    expectFrappeError(res, 403, "PermissionError");
    const ops = await createKey(`reporter-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const admin = await call(`${M}.start_job?${qs({ report_name: "Failed Tasks" })}`, { key: ops });
    expectFrappeError(admin, 403, "PermissionError");
  });
});

describe("errors are never an empty table", () => {
  it("a failing report answers check_status 1 and get_result an HTTP error carrying its message", async () => {
    const jobId = await startJob({ report_name: "Demo Numbers", rows: 100, fail_after: 10 });
    await untilDone(jobId);
    const res = await call(`${M}.get_result?${qs({ job_id: jobId })}`);
    expectFrappeError(res, 409, "ValidationError");
    expect(res.body.message).toContain("failed after 10 rows");
    expect(res.body.message).toContain("Error");
  });

  it("get_result on a job still running is an HTTP error that says to poll check_status", async () => {
    const jobId = await startJob({ report_name: "Demo Numbers", rows: 3000, pause_ms: 1000 });
    const res = await call(`${M}.get_result?${qs({ job_id: jobId })}`);
    expectFrappeError(res, 409, "ValidationError");
    expect(res.body.message).toContain("check_status");
    await untilDone(jobId);
  });
});

describe("visibility", () => {
  it("another user's job is a 404 on every endpoint, exactly like a missing one", async () => {
    const alice = await createKey(`alice-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const bob = await createKey(`bob-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const jobId = await startJob({ report_name: "Demo Numbers", rows: 5 }, alice);
    await untilDone(jobId, alice);
    const missing = await call(`${M}.get_result?${qs({ job_id: "01ZZZZZZZZZZZZZZZZZZZZZZZZ" })}`, { key: bob });
    for (const endpoint of ["check_status", "get_result"]) {
      const res = await call(`${M}.${endpoint}?${qs({ job_id: jobId })}`, { key: bob });
      expectFrappeError(res, 404, "DoesNotExistError");
      expect(res.body.message.replace(jobId, "X")).toBe(
        missing.body.message.replace("01ZZZZZZZZZZZZZZZZZZZZZZZZ", "X"),
      );
    }
    for (const path of [`/api/v1/report-jobs/${jobId}`, `/api/v1/report-jobs/${jobId}/result`]) {
      expect((await call(path, { key: bob })).status).toBe(404);
    }
    expect((await call(`/api/v1/report-jobs/${jobId}/cancel`, { method: "POST", key: bob })).status).toBe(404);
    // The owner and a System Manager can read it.
    expect((await call(`${M}.get_result?${qs({ job_id: jobId })}`, { key: alice })).status).toBe(200);
    expect((await call(`${M}.get_result?${qs({ job_id: jobId })}`)).status).toBe(200);
  });
});

describe("reuse", () => {
  it("identical concurrent starts share one job (one task, one job row)", async () => {
    const user = await createKey(`twice-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const starts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        // Power Query adds its own cache-busters; they are not filters.
        startJob({ report_name: "Demo Numbers", rows: "40", _ts: `${Date.now()}-${i}`, _attempt: i, _: i }, user),
      ),
    );
    expect(new Set(starts).size).toBe(1);
    const owner = (await call(`/api/v1/report-jobs/${starts[0]}`, { key: user })).body.owner;
    // Counted in the log, once the objects have written what they hold.
    await settleLog();
    const jobs = await env.DB.prepare("select count(*) as n from report_jobs where owner = ?")
      .bind(owner)
      .first<{ n: number }>();
    const tasks = await env.DB.prepare("select count(*) as n from tasks where owner = ?")
      .bind(owner)
      .first<{ n: number }>();
    expect(jobs?.n).toBe(1);
    expect(tasks?.n).toBe(1);
  });

  it("a finished job is reused within the freshness window; other filters or another user start a new one", async () => {
    const user = await createKey(`fresh-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const other = await createKey(`other-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const first = await startJob({ report_name: "Demo Numbers", rows: 7 }, user);
    await untilDone(first, user);
    // Same normalised filters (7 given as a number in a JSON `filters` parameter) → the same job.
    const again = await call(`${M}.start_job`, {
      key: user,
      body: { report_name: "Demo Numbers", filters: JSON.stringify({ rows: 7 }) },
    });
    expect(again.body.message).toBe(first);
    expect(await startJob({ report_name: "Demo Numbers", rows: 8 }, user)).not.toBe(first);
    expect(await startJob({ report_name: "Demo Numbers", rows: 7 }, other)).not.toBe(first);
  });

  it("a failed job is not reused: the same request starts a new job", async () => {
    const first = await startJob({ report_name: "Demo Numbers", rows: 5, fail_after: 1 });
    await untilDone(first);
    const second = await startJob({ report_name: "Demo Numbers", rows: 5, fail_after: 1 });
    expect(second).not.toBe(first);
    await untilDone(second);
  });
});
