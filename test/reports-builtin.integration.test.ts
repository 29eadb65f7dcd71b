// The built-in operations reports read the platform's own tasks: counts by method and status, every
// failed task with its error (paged, so thousands stream), and hourly throughput with durations.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/shared/ids";
import { call } from "./helpers";

/** Runs a report through REST as the admin and returns its rows (JSON format). */
async function rows(report: string, filters: Record<string, unknown> = {}): Promise<any[]> {
  const start = await call(`/api/v1/reports/${encodeURIComponent(report)}/jobs`, { body: { filters } });
  expect(start.status, JSON.stringify(start.body)).toBe(202);
  const jobId = start.body.job_id;
  for (let i = 0; i < 10; i++) {
    const job = await call(`/api/v1/report-jobs/${jobId}?wait=25`);
    if (job.body.status === "Error") throw new Error(job.body.error);
    if (job.body.status === "Completed") break;
  }
  const res = await call(`/api/v1/report-jobs/${jobId}/result`);
  expect(res.status).toBe(200);
  return res.body.message.result;
}

const FAILED = 1_201;
const METHOD = "ops.sync";
const endedAt = Date.UTC(2026, 5, 15, 10, 30);

beforeAll(async () => {
  // Ended tasks written straight to D1: 1,201 failed (more than two pages) and 3 finished.
  const statements = [];
  for (let i = 0; i < FAILED + 3; i++) {
    const failed = i < FAILED;
    statements.push(
      env.DB.prepare(
        `INSERT INTO tasks (name, job_name, method, queue, timeout, arguments, status, owner, created_at,
           started_at, ended_at, time_taken, attempt, error_message)
         VALUES (?, ?, ?, 'default', 300, '{}', ?, 'ops', ?, ?, ?, ?, 1, ?)`,
      ).bind(
        newId(endedAt - 60_000),
        METHOD,
        METHOD,
        failed ? "Failed" : "Finished",
        endedAt - 60_000,
        endedAt - 2_000 - i,
        endedAt + (i % 7),
        failed ? 1.5 : 2 + (i - FAILED),
        failed ? `Error: upstream ${i} refused\n    at sync (ops.ts:1)` : null,
      ),
    );
  }
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
});

const period = { from_date: "2026-06-15", to_date: "2026-06-15", method: METHOD };

describe("built-in reports", () => {
  it("Failed Tasks lists every failed task of the period once, with the error's first line", async () => {
    const result = await rows("Failed Tasks", period);
    expect(result).toHaveLength(FAILED);
    expect(new Set(result.map((r) => r.name)).size).toBe(FAILED);
    const first = result.find((r) => r.error === "Error: upstream 0 refused");
    expect(first).toMatchObject({ method: METHOD, owner: "ops", attempt: 1, retry_scheduled: 0, time_taken: 1.5 });
    expect(first.ended_at).toBe("2026-06-15 10:30:00");
    const outside = await rows("Failed Tasks", { ...period, from_date: "2026-06-16", to_date: "2026-06-16" });
    expect(outside).toEqual([]);
  });

  it("Tasks by Method and Status counts each status with durations", async () => {
    const result = await rows("Tasks by Method and Status", period);
    const byStatus = Object.fromEntries(result.map((r) => [r.status, r]));
    expect(byStatus.Failed.tasks).toBe(FAILED);
    expect(byStatus.Finished).toMatchObject({ tasks: 3, avg_time_taken: 3, max_time_taken: 4 });
  });

  it("Hourly Throughput puts the period's ended tasks in their hour", async () => {
    const result = await rows("Hourly Throughput", period);
    expect(result).toEqual([
      {
        hour: "2026-06-15 10:00:00",
        method: METHOD,
        finished: 3,
        failed: FAILED,
        canceled: 0,
        avg_time_taken: 3,
        max_time_taken: 4,
      },
    ]);
  });

  it("a period that ends before it starts is a 400", async () => {
    const res = await call("/api/v1/reports/Failed%20Tasks/jobs", {
      body: { filters: { from_date: "2026-06-16", to_date: "2026-06-15" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("from_date");
  });
});
