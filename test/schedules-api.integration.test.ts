// /api/v1/scheduled-jobs: create with every check a 4xx that writes nothing, the next runs in the
// schedule's zone, code schedules, stop/start/run/skip, permissions, and overdue schedules in ops.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectErrorEnvelope } from "./api-support";
import { ADMIN, call, createKey } from "./helpers";
import { createSchedule, fire, getSchedule, lastHandled, runLog, runsOf, uniqueName } from "./schedule-support";

async function scheduleCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM scheduled_jobs").first<{ n: number }>();
  return row?.n ?? -1;
}

async function refuse(spec: Record<string, unknown>, status: number, code: string, key = ADMIN) {
  const before = await scheduleCount();
  const res = await call("/api/v1/scheduled-jobs", { body: spec, key });
  const error = expectErrorEnvelope(res, status, code);
  expect(await scheduleCount(), "a refused schedule writes nothing").toBe(before);
  return error;
}

describe("creating a scheduled job", () => {
  it("answers 201 with the timing in words and the next 10 runs in the schedule's zone", async () => {
    const name = uniqueName("berlin");
    const s = await createSchedule({
      name,
      method: "demo.echo",
      frequency: "cron",
      cron: "30 9 * * 1-5",
      timezone: "Europe/Berlin",
    });
    expect(s.timing).toMatch(/09:30/);
    expect(s.next_runs).toHaveLength(10);
    for (const run of s.next_runs) expect(run).toMatch(/T09:30:00\+0[12]:00$/);
    expect(s.next_execution).toBe(s.next_runs[0]);
    expect(s.source).toBe("api");
    expect(s.owner).toBe("Administrator");
  });

  it("refuses an unknown zone, a bad cron, every_s under 10 and an unknown method with a 400 naming the field", async () => {
    const base = { method: "demo.echo" };
    const zone = await refuse({ ...base, frequency: "daily", timezone: "Mars/Olympus" }, 400, "invalid_timing");
    expect(zone.message).toMatch(/^timezone: unknown time zone/);
    const cron = await refuse({ ...base, frequency: "cron", cron: "61 * * * *" }, 400, "invalid_timing");
    expect(cron.message).toMatch(/^cron: /);
    const every = await refuse({ ...base, frequency: "every", every_s: 5 }, 400, "invalid_timing");
    expect(every.message).toMatch(/^every_s: /);
    await refuse({ method: "nope.nothing", frequency: "hourly" }, 400, "unknown_method");
    await refuse({ method: "demo.echo", frequency: "hourly", arguments: "x" }, 400, "validation_failed");
    await refuse({ method: "demo.sleep", frequency: "hourly", arguments: { ms: "long" } }, 400, "invalid_arguments");
    await refuse({ method: "report:Demo Numbers", frequency: "hourly" }, 400, "not_enqueueable");
    await refuse(
      { ...base, frequency: "daily", start_at: "2027-01-02T00:00:00Z", end_at: "2027-01-01T00:00:00Z" },
      400,
      "validation_failed",
    );
  });

  it("refuses a start_at too far ahead to arm with a 400 at save (POST and PUT), changing nothing", async () => {
    // An every-10-s timing has slots in 9999, but no alarm can be set for them; a daily cron has
    // none past the cron engine's horizon. Either would have been saved and never fired.
    for (const spec of [
      { method: "demo.echo", frequency: "every", every_s: 10, start_at: "9999-12-31T23:59:59Z" },
      { method: "demo.echo", frequency: "daily", start_at: "3000-01-01T00:00:00Z" },
    ]) {
      const error = await refuse(spec, 400, "validation_failed");
      expect(error.message).toMatch(/^start_at: /);
    }
    const name = uniqueName("far");
    const saved = await createSchedule({ name, method: "demo.echo", frequency: "every", every_s: 10 });
    const put = await call(`/api/v1/scheduled-jobs/${name}`, {
      method: "PUT",
      body: { method: "demo.echo", frequency: "every", every_s: 10, start_at: "9999-12-31T23:59:59Z" },
    });
    expectErrorEnvelope(put, 400, "validation_failed");
    const after = await getSchedule(name);
    expect(after.start_at).toBeNull();
    expect(after.next_execution).toBe(saved.next_execution);
    // Within the bound it is accepted, with its first run at the start.
    const later = await createSchedule({
      name: uniqueName("later"),
      method: "demo.echo",
      frequency: "every",
      every_s: 10,
      start_at: "2100-01-01T00:00:00Z",
    });
    expect(later.next_execution).toBe("2100-01-01T00:00:00+00:00");
  });

  it("stop and start refuse fields they do not know (400) and leave the schedule as it was", async () => {
    const name = uniqueName("strict");
    await createSchedule({ name, method: "demo.echo", frequency: "every", every_s: 10 });
    const stop = await call(`/api/v1/scheduled-jobs/${name}/stop`, { body: { note: "x", reason: "typo" } });
    expectErrorEnvelope(stop, 400, "validation_failed");
    expect((await getSchedule(name)).stopped).toBe(false);
    expect((await call(`/api/v1/scheduled-jobs/${name}/stop`, { body: { note: "x" } })).status).toBe(200);
    const start = await call(`/api/v1/scheduled-jobs/${name}/start`, { body: { now: true } });
    expectErrorEnvelope(start, 400, "validation_failed");
    expect((await getSchedule(name)).stopped).toBe(true);
  });

  it("refuses a method the caller may not enqueue (403) and a taken name (409)", async () => {
    const reporter = await createKey(`sched-ru-${crypto.randomUUID().slice(0, 6)}`, ["Report User"]);
    await refuse({ method: "demo.echo", frequency: "hourly" }, 403, "forbidden", reporter);
    const name = uniqueName("taken");
    await createSchedule({ name, method: "demo.echo", frequency: "hourly" });
    await refuse({ name, method: "demo.echo", frequency: "daily" }, 409, "conflict");
  });
});

describe("code schedules", () => {
  it("are synced from code (the local demo heartbeat, stopped), cannot be deleted or edited, and can be started", async () => {
    const heartbeat = await getSchedule("demo.heartbeat");
    expect(heartbeat.source).toBe("code");
    expect(heartbeat.stopped).toBe(true);
    expect(heartbeat.every_s).toBe(10);
    expectErrorEnvelope(await call("/api/v1/scheduled-jobs/demo.heartbeat", { method: "DELETE" }), 409, "conflict");
    expectErrorEnvelope(
      await call("/api/v1/scheduled-jobs/demo.heartbeat", {
        method: "PUT",
        body: { method: "demo.echo", frequency: "hourly" },
      }),
      409,
      "conflict",
    );
    const started = await call("/api/v1/scheduled-jobs/demo.heartbeat/start", { method: "POST", body: {} });
    expect(started.status).toBe(200);
    expect(started.body.stopped).toBe(false);
    expect(started.body.next_runs).toHaveLength(10);
    const stopped = await call("/api/v1/scheduled-jobs/demo.heartbeat/stop", {
      method: "POST",
      body: { note: "done" },
    });
    expect(stopped.body).toMatchObject({ stopped: true, stop_note: "done", next_execution: null });
  });
});

describe("stop, start, run now, skip", () => {
  it("a stopped schedule handles no slot; started again, the slots it missed follow its missed policy", async () => {
    const name = uniqueName("stopstart");
    await createSchedule({ name, method: "demo.echo", frequency: "every", every_s: 10, missed: "once" });
    const stopped = await call(`/api/v1/scheduled-jobs/${name}/stop`, {
      method: "POST",
      body: { note: "maintenance" },
    });
    expect(stopped.body).toMatchObject({ stopped: true, stop_note: "maintenance" });
    await lastHandled(name, 45_000);
    await env.DB.prepare("UPDATE scheduled_jobs SET stopped = 1 WHERE name = ?").bind(name).run();
    expect(await fire(name)).toBeNull();
    expect(await runsOf(name)).toHaveLength(0);
    const started = await call(`/api/v1/scheduled-jobs/${name}/start`, { method: "POST", body: {} });
    expect(started.status).toBe(200);
    expect(started.body.stopped).toBe(false);
    expect(await runsOf(name)).toHaveLength(1);
    expect(started.body.counters.missed).toBeGreaterThanOrEqual(3);
  });

  it("run now enqueues one run without moving the cadence; skip skips the next slots", async () => {
    const name = uniqueName("runskip");
    const created = await createSchedule({ name, method: "demo.echo", frequency: "every", every_s: 10 });
    const run = await call(`/api/v1/scheduled-jobs/${name}/run`, { method: "POST" });
    expect(run.status).toBe(201);
    expect(run.body.schedule.next_execution).toBe(created.next_execution);
    expect(run.body.schedule.counters.runs).toBe(1);
    const [manual] = await runLog(name);
    expect(manual).toMatchObject({ kind: "manual", outcome: "manual", task_name: run.body.task });

    const skip = await call(`/api/v1/scheduled-jobs/${name}/skip`, { body: { count: 2 } });
    expect(skip.body.skip_next).toBe(2);
    await lastHandled(name, 25_000);
    await env.DB.prepare("UPDATE scheduled_jobs SET missed = 'all' WHERE name = ?").bind(name).run();
    await fire(name);
    const log = await runLog(name);
    expect(log.filter((r) => r.outcome === "skipped")).toHaveLength(2);
    expect((await getSchedule(name)).counters.skipped).toBe(2);
    expectErrorEnvelope(await call(`/api/v1/scheduled-jobs/${name}/skip`, { body: { count: 0 } }), 400);
  });

  it("PUT replaces the definition and keeps the counters; DELETE removes an API schedule", async () => {
    const name = uniqueName("put");
    await createSchedule({ name, method: "demo.echo", frequency: "hourly" });
    await call(`/api/v1/scheduled-jobs/${name}/run`, { method: "POST" });
    const put = await call(`/api/v1/scheduled-jobs/${name}`, {
      method: "PUT",
      body: { method: "demo.echo", frequency: "daily", timezone: "Asia/Kolkata" },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ frequency: "daily", timezone: "Asia/Kolkata" });
    expect(put.body.counters.runs).toBe(1);
    expect(put.body.next_runs[0]).toMatch(/T00:00:00\+05:30$/);
    expect((await call(`/api/v1/scheduled-jobs/${name}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/scheduled-jobs/${name}`)).status).toBe(404);
  });
});

describe("permissions", () => {
  it("another user's schedule is a 404 everywhere; lists show only one's own; a System Manager sees all", async () => {
    const alice = await createKey(`alice-${crypto.randomUUID().slice(0, 6)}`);
    const bob = await createKey(`bob-${crypto.randomUUID().slice(0, 6)}`);
    const name = uniqueName("alices");
    await createSchedule({ name, method: "demo.echo", frequency: "hourly" }, alice);
    for (const [method, path, body] of [
      ["GET", "", undefined],
      ["PUT", "", { method: "demo.echo", frequency: "daily" }],
      ["DELETE", "", undefined],
      ["GET", "/runs", undefined],
      ["POST", "/run", {}],
      ["POST", "/stop", {}],
      ["POST", "/start", {}],
      ["POST", "/skip", { count: 1 }],
    ] as const) {
      const res = await call(`/api/v1/scheduled-jobs/${name}${path}`, { method, body, key: bob });
      expectErrorEnvelope(res, 404, "not_found");
    }
    const bobs = await call("/api/v1/scheduled-jobs", { key: bob });
    expect(bobs.body.data.map((s: any) => s.name)).not.toContain(name);
    const alices = await call("/api/v1/scheduled-jobs", { key: alice });
    expect(alices.body.data.map((s: any) => s.name)).toEqual([name]);
    const all = await call("/api/v1/scheduled-jobs?limit=500");
    expect(all.body.data.map((s: any) => s.name)).toEqual(expect.arrayContaining([name, "demo.heartbeat"]));
  });
});

describe("overdue schedules", () => {
  it("a running schedule whose firing is more than 60 s late is overdue, in its JSON and in /api/v1/ops", async () => {
    const name = uniqueName("late");
    await createSchedule({ name, method: "demo.echo", frequency: "hourly" });
    await env.DB.prepare("UPDATE scheduled_jobs SET next_fire_at = ? WHERE name = ?")
      .bind(Date.now() - 120_000, name)
      .run();
    expect((await getSchedule(name)).overdue).toBe(true);
    const ops = await call("/api/v1/ops");
    expect(ops.body.overdue_schedules.map((s: any) => s.name)).toContain(name);
    await fire(name);
    expect((await getSchedule(name)).overdue).toBe(false);
  });
});
