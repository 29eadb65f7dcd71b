// What the console asks of the server beyond the basics: per-status counts of a filter (and of what a
// bulk action would touch), "run again" links, batch labels and their methods and failed items, a
// fresh report run, a schedule preview, and one set of task options with one set of bounds.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAR_FUTURE, expectErrorEnvelope, expectNoTaskWritten, rejectEnqueue, uid } from "./api-support";
import { ADMIN, call, createKey, enqueue, waitForStatus } from "./helpers";

const counts = (query: string, key = ADMIN) => call(`/api/v1/tasks/counts?${query}`, { key });

describe("task counts", () => {
  it("counts a filter's tasks per status, only the caller's own for a Task User", async () => {
    const job = `counts-${uid()}`;
    const user = await createKey(`counter-${uid()}`);
    const waiting = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: FAR_FUTURE });
    await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: FAR_FUTURE });
    const done = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 } });
    await waitForStatus(done.name, "Finished");
    expect((await call(`/api/v1/tasks/${waiting.name}/pause`, { method: "POST" })).status).toBe(200);
    await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: FAR_FUTURE }, user);

    const all = await counts(`job_name=${job}`);
    expect(all.status).toBe(200);
    expect(all.body.statuses).toMatchObject({ Pending: 2, Paused: 1, Finished: 1, Failed: 0 });
    expect(all.body.total).toBe(4);
    expect(all.body.capped).toEqual([]);

    const own = await counts(`job_name=${job}`, user);
    expect(own.body.total).toBe(1);
    expect(own.body.statuses.Pending).toBe(1);
    // Asking for someone else's tasks shows nothing, like the list.
    expect((await counts(`job_name=${job}&owner=admin`, user)).body.total).toBe(0);
  });

  it("with an action, counts only the tasks the action would act on", async () => {
    const job = `acting-${uid()}`;
    const paused = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: FAR_FUTURE });
    await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: FAR_FUTURE });
    const done = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 } });
    await waitForStatus(done.name, "Finished");
    expect((await call(`/api/v1/tasks/${paused.name}/pause`, { method: "POST" })).status).toBe(200);

    expect((await counts(`job_name=${job}&action=cancel`)).body).toMatchObject({
      total: 2,
      statuses: { Pending: 1, Paused: 1, Finished: 0 },
    });
    expect((await counts(`job_name=${job}&action=resume`)).body.total).toBe(1);
    expect((await counts(`job_name=${job}&action=retry`)).body.total).toBe(0);
  });

  it("stops counting a status at the cap and says which statuses have more", async () => {
    const job = `capped-${uid()}`;
    for (let i = 0; i < 3; i++) {
      await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: FAR_FUTURE });
    }
    const res = await counts(`job_name=${job}&cap=2`);
    expect(res.body).toMatchObject({ total: 2, cap: 2, capped: ["Pending"], statuses: { Pending: 2 } });
  });

  it("refuses a bad filter or cap with the error envelope", async () => {
    expectErrorEnvelope(await counts("status=Sleeping"), 400);
    expectErrorEnvelope(await counts("cap=0"), 400);
    expectErrorEnvelope(await counts("action=explode"), 400);
    const refused = expectErrorEnvelope(await counts(`arg=${encodeURIComponent('customer != "X"')}`), 400);
    expect(refused.message).toMatch(/only equality/);
  });
});

describe("job name filter", () => {
  it("finds a task by a long part of its job name (D1 refuses LIKE patterns over 50 bytes)", async () => {
    const job = `long-${uid()}-${"x".repeat(100)}`;
    const task = await enqueue({ method: "demo.echo", job_name: job, arguments: {}, run_at: FAR_FUTURE });
    const res = await call(`/api/v1/tasks?job_name=${encodeURIComponent(job.slice(2))}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.map((t: any) => t.name)).toEqual([task.name]);
    expect((await counts(`job_name=${encodeURIComponent(job.toUpperCase())}`)).body.total).toBe(1);
  });
});

describe("arguments filters", () => {
  it('matches customer == "X" exactly as customer = "X"', async () => {
    const job = `eqeq-${uid()}`;
    const task = await enqueue({
      method: "demo.echo",
      job_name: job,
      arguments: { customer: "CUST-7" },
      run_at: FAR_FUTURE,
    });
    const res = await call(`/api/v1/tasks?job_name=${job}&arg=${encodeURIComponent('customer == "CUST-7"')}`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((t: any) => t.name)).toEqual([task.name]);
  });
});

describe("run again", () => {
  it("links a new task to the task it repeats, both ways", async () => {
    const first = await enqueue({ method: "demo.echo", arguments: { n: 1 } });
    await waitForStatus(first.name, "Finished");
    const again = await enqueue({ method: "demo.echo", arguments: { n: 1 }, rerun_of: first.name });
    expect(again.rerun_of).toBe(first.name);
    expect(again.arguments).toEqual({ n: 1 });
    expect((await call(`/api/v1/tasks/${again.name}`)).body.rerun_of).toBe(first.name);
    expect((await call(`/api/v1/tasks/${first.name}`)).body.reruns).toEqual([again.name]);
    expect((await call(`/api/v1/tasks/${first.name}`)).body.rerun_of).toBeNull();
  });

  it("refuses rerun_of naming a task the caller cannot see, and writes nothing", async () => {
    const mine = await createKey(`rerunner-${uid()}`);
    const others = await enqueue({ method: "demo.echo", arguments: {} });
    const refused = await rejectEnqueue(
      { method: "demo.echo", arguments: {}, rerun_of: others.name },
      400,
      "unknown_rerun_of",
      mine,
    );
    expect(refused.message).toContain("rerun_of");
    await rejectEnqueue({ method: "demo.echo", rerun_of: "01ZZZZZZZZZZZZZZZZZZZZZZZZ" }, 400, "unknown_rerun_of");
    // A Task User's own rerun links are theirs alone: an admin's rerun of their task is not listed to them.
    const own = await enqueue({ method: "demo.echo", arguments: {} }, mine);
    await enqueue({ method: "demo.echo", arguments: {}, rerun_of: own.name });
    expect((await call(`/api/v1/tasks/${own.name}`, { key: mine })).body.reruns).toEqual([]);
  });

  it("is for a single enqueue: bulk specs may not carry it", async () => {
    const first = await enqueue({ method: "demo.echo", arguments: {} });
    await expectNoTaskWritten(async () => {
      const res = await call("/api/v1/tasks/bulk", {
        body: { tasks: [{ method: "demo.echo", rerun_of: first.name }] },
      });
      expect(expectErrorEnvelope(res, 400).message).toMatch(/rerun_of/);
    });
  });
});

describe("one set of task options", () => {
  it("bounds priority and job_name the same in a single enqueue, a bulk and a chunked bulk", async () => {
    await rejectEnqueue({ method: "demo.echo", priority: 2_000_000 }, 400);
    await expectNoTaskWritten(async () => {
      const bulk = await call("/api/v1/tasks/bulk", {
        body: { tasks: [{ method: "demo.echo" }], defaults: { priority: 2_000_000 } },
      });
      expectErrorEnvelope(bulk, 400);
      const chunked = await call("/api/v1/bulk/demo.items", { body: { ids: ["a"], priority: 2_000_000 } });
      expectErrorEnvelope(chunked, 400);
      const longName = await call("/api/v1/bulk/demo.items", { body: { ids: ["a"], job_name: "x".repeat(141) } });
      expectErrorEnvelope(longName, 400);
    });
    // 140 characters is a valid job name everywhere; a chunk's ":n" suffix still fits.
    const res = await call("/api/v1/bulk/demo.items", {
      body: { ids: ["a", "b"], chunk_size: 1, job_name: "j".repeat(140) },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const tasks = await call(`/api/v1/tasks?batch_id=${res.body.batch_id}`);
    expect(tasks.body.data.map((t: any) => t.job_name.length)).toEqual([140, 140]);
    expect(tasks.body.data.map((t: any) => t.job_name.slice(-2)).sort()).toEqual([":1", ":2"]);
  });
});

describe("batches", () => {
  it("carry a label, and show their tasks per method", async () => {
    const res = await call("/api/v1/tasks/bulk", {
      body: {
        label: "  nightly invoices ",
        tasks: [
          { method: "demo.echo", arguments: {}, run_at: FAR_FUTURE },
          { method: "demo.echo", arguments: {}, run_at: FAR_FUTURE },
          { method: "demo.sleep", arguments: { ms: 1 }, run_at: FAR_FUTURE },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const batch = await call(`/api/v1/batches/${res.body.batch_id}`);
    expect(batch.body).toMatchObject({
      label: "nightly invoices",
      methods: { "demo.echo": 2, "demo.sleep": 1 },
      failed_items: 0,
    });
    const listed = await call("/api/v1/batches?limit=5");
    expect(listed.body.data.find((b: any) => b.batch_id === res.body.batch_id)?.label).toBe("nightly invoices");
  });

  it("refuses an empty or over-long label and writes nothing", async () => {
    for (const label of ["   ", "x".repeat(141)]) {
      await expectNoTaskWritten(async () => {
        const res = await call("/api/v1/tasks/bulk", { body: { label, tasks: [{ method: "demo.echo" }] } });
        expectErrorEnvelope(res, 400);
      });
    }
  });

  it("count the failed items waiting to be requeued, and none once they are", async () => {
    const res = await call("/api/v1/bulk/demo.items", { body: { ids: ["ok-1", "bad-1", "bad-2"], chunk_size: 10 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.batch_id;
    await expect.poll(async () => (await call(`/api/v1/batches/${id}`)).body.done, { timeout: 30_000 }).toBe(1);
    expect((await call(`/api/v1/batches/${id}`)).body.failed_items).toBe(2);
    expect((await call(`/api/v1/batches/${id}/requeue-failed-items`, { method: "POST" })).status).toBe(200);
    expect((await call(`/api/v1/batches/${id}`)).body.failed_items).toBe(0);
  });
});

describe("reports", () => {
  it("say when a start reused a recent job, and start a new one when asked for a fresh run", async () => {
    const start = (body: unknown) => call("/api/v1/reports/Demo%20Numbers/jobs", { body });
    const filters = { rows: 3 + Math.floor(Math.random() * 1000) };
    const first = await start({ filters });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ reused: false, reused_from: null });
    await waitForStatus(first.body.job_id, "Finished");

    const again = await start({ filters });
    expect(again.body).toMatchObject({ job_id: first.body.job_id, reused: true, reused_from: first.body.created_at });

    const fresh = await start({ filters, fresh: true });
    expect(fresh.status).toBe(202);
    expect(fresh.body.job_id).not.toBe(first.body.job_id);
    expect(fresh.body).toMatchObject({ reused: false, reused_from: null });
    // The fresh job is the one identical requests share from now on.
    expect((await start({ filters })).body.job_id).toBe(fresh.body.job_id);
    expectErrorEnvelope(await start({ filters, fresh: "yes" }), 400);
  });

  it("keep the Frappe long-polling path's reuse", async () => {
    const rows = 3 + Math.floor(Math.random() * 1000);
    const path = `/api/method/tweaks.utils.report_long_polling.start_job?report_name=Demo%20Numbers&rows=${rows}`;
    const a = await call(path);
    const b = await call(path);
    expect(a.status).toBe(200);
    expect(b.body.message).toBe(a.body.message);
  });
});

describe("schedule preview", () => {
  it("gives the timing in words and the next 10 runs in the schedule's zone, and saves nothing", async () => {
    const name = `preview-${uid()}`;
    const res = await call("/api/v1/scheduled-jobs/preview", {
      body: { name, method: "demo.echo", frequency: "cron", cron: "30 9 * * 1-5", timezone: "Europe/Berlin" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.timezone).toBe("Europe/Berlin");
    expect(res.body.timing).toMatch(/09:30/);
    expect(res.body.next_runs).toHaveLength(10);
    for (const run of res.body.next_runs) expect(run).toMatch(/T09:30:00\+0[12]:00$/);
    expect((await call(`/api/v1/scheduled-jobs/${name}`)).status).toBe(404);
    const row = await env.DB.prepare("select count(*) as n from scheduled_jobs where name = ?").bind(name).first();
    expect(row?.n).toBe(0);
  });

  it("refuses what a save would refuse, naming the field", async () => {
    const bad = await call("/api/v1/scheduled-jobs/preview", {
      body: { method: "demo.echo", frequency: "every", every_s: 3 },
    });
    expect(expectErrorEnvelope(bad, 400).message).toMatch(/every_s/);
    // A method the caller may not enqueue is refused exactly as a save refuses it.
    const reporter = await createKey(`previewer-${uid()}`, ["Report User"]);
    const forbidden = await call("/api/v1/scheduled-jobs/preview", {
      body: { method: "demo.echo", frequency: "hourly" },
      key: reporter,
    });
    expectErrorEnvelope(forbidden, 403);
  });

  it("previews an edit for the schedule's owner; another user's schedule is a 404", async () => {
    const name = `edit-preview-${uid()}`;
    const created = await call("/api/v1/scheduled-jobs", {
      body: { name, method: "demo.echo", frequency: "every", every_s: 60 },
    });
    expect(created.status).toBe(201);
    const res = await call(`/api/v1/scheduled-jobs/${name}/preview`, {
      body: { method: "demo.echo", frequency: "every", every_s: 30 },
    });
    expect(res.status).toBe(200);
    const [a, b] = res.body.next_runs.map((t: string) => Date.parse(t));
    expect(b - a).toBe(30_000);
    const stranger = await createKey(`stranger-${uid()}`);
    const hidden = await call(`/api/v1/scheduled-jobs/${name}/preview`, {
      body: { method: "demo.echo", frequency: "every", every_s: 30 },
      key: stranger,
    });
    expectErrorEnvelope(hidden, 404);
  });
});
