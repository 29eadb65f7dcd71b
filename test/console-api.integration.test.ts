// Read endpoints the console needs: /stats (Overview), the batch list, recent report jobs, and the
// API docs page.
import { describe, expect, it } from "vitest";
import { call, createKey, enqueue, setTaskType, settleLog, waitForStatus } from "./helpers";

describe("GET /api/v1/stats", () => {
  it("gives per-method p50/p95, limits and a 24-bucket-plus hourly series; admins only", async () => {
    await setTaskType("demo.fail", { concurrency_limit: 4, priority: 2 });
    const ok = await Promise.all([1, 2, 3].map((ms) => enqueue({ method: "demo.sleep", arguments: { ms } })));
    const bad = await enqueue({ method: "demo.fail", arguments: { message: "boom" } });
    for (const t of ok) await waitForStatus(t.name, "Finished");
    await waitForStatus(bad.name, "Failed");
    // Statistics read the log.
    await settleLog();

    const res = await call("/api/v1/stats");
    expect(res.status).toBe(200);
    const sleep = res.body.methods.find((m: { method: string }) => m.method === "demo.sleep");
    expect(sleep.finished_24h).toBe(3);
    expect(sleep.p50_s).toEqual(expect.any(Number));
    expect(sleep.p95_s).toBeGreaterThanOrEqual(sleep.p50_s);
    const fail = res.body.methods.find((m: { method: string }) => m.method === "demo.fail");
    expect(fail).toMatchObject({ concurrency_limit: 4, priority: 2, failed_24h: 1, p50_s: null });
    expect(res.body.hourly.length).toBeGreaterThanOrEqual(24);
    const total = res.body.hourly.reduce((n: number, h: { finished: number }) => n + h.finished, 0);
    const failed = res.body.hourly.reduce((n: number, h: { failed: number }) => n + h.failed, 0);
    expect([total, failed]).toEqual([3, 1]);

    const user = await createKey("stats-user");
    expect((await call("/api/v1/stats", { key: user })).status).toBe(403);
  });
});

describe("GET /api/v1/batches", () => {
  it("lists own batches newest first with counters, keyset-paged; others' batches are invisible", async () => {
    const key = await createKey("batch-lister");
    const made = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("/api/v1/tasks/bulk", {
        key,
        body: { tasks: [{ method: "demo.sleep", arguments: { ms: 1 } }] },
      });
      expect(res.status).toBe(201);
      made.push(res.body.batch_id as string);
    }
    // Batch counters are the log's.
    await settleLog();
    const first = await call("/api/v1/batches?limit=2", { key });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.data[0]).toMatchObject({ owner: "batch-lister", total: 1 });
    const second = await call(`/api/v1/batches?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { key });
    const seen = [...first.body.data, ...second.body.data].map((b: { batch_id: string }) => b.batch_id);
    expect(seen.sort()).toEqual([...made].sort());
    expect(second.body.next_cursor).toBeNull();

    const other = await createKey("batch-other");
    expect((await call("/api/v1/batches", { key: other })).body.data).toEqual([]);
    expect((await call("/api/v1/batches?owner=batch-lister", { key: other })).body.data).toEqual([]);
    const admin = await call("/api/v1/batches?owner=batch-lister");
    expect(admin.body.data).toHaveLength(3);
    expect((await call("/api/v1/batches?cursor=nonsense")).status).toBe(400);
  });
});

describe("GET /api/v1/report-jobs", () => {
  it("lists the caller's recent jobs of a report, newest first", async () => {
    const key = await createKey("report-lister", ["Report User"]);
    const a = await call("/api/v1/reports/Demo%20Numbers/jobs", { key, body: { filters: { rows: 3 } } });
    const b = await call("/api/v1/reports/Demo%20Numbers/jobs", { key, body: { filters: { rows: 4 } } });
    expect([a.status, b.status]).toEqual([202, 202]);
    const res = await call("/api/v1/report-jobs?report=Demo%20Numbers", { key });
    expect(res.status).toBe(200);
    expect(res.body.data.map((j: { job_id: string }) => j.job_id)).toEqual([b.body.job_id, a.body.job_id]);
    const other = await createKey("report-other", ["Report User"]);
    expect((await call("/api/v1/report-jobs", { key: other })).body.data).toEqual([]);
  });
});

describe("GET /api/v1/docs", () => {
  it("serves the Swagger UI page from our own assets, without auth, with a strict CSP", async () => {
    const res = await call("/api/v1/docs", { key: null });
    expect(res.status).toBe(200);
    expect(String(res.body)).toContain("/ui/vendor/swagger-ui/swagger-ui-bundle.js");
    expect(String(res.body)).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
