// The scheduling engine: exactly one task per slot whatever fires twice, the missed-run and overlap
// policies, and the counters — in real workerd, with slots made due by moving a schedule's past.
import {
  createExecutionContext,
  evictDurableObject,
  runDurableObjectAlarm,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { fireSchedule } from "../src/schedules/fire";
import { call } from "./helpers";
import {
  createSchedule,
  expectOnePerSlot,
  fire,
  getSchedule,
  lastHandled,
  runLog,
  runsOf,
  uniqueName,
} from "./schedule-support";

const every10 = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  method: "demo.echo",
  arguments: { from: name },
  frequency: "every",
  every_s: 10,
  ...extra,
});

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled({ scheduledTime: Date.now(), cron: "* * * * *", noRetry() {} }, env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("exactly one task per slot", () => {
  it("an alarm that fires twice (a retry) enqueues each due slot once", async () => {
    const name = uniqueName("twice");
    await createSchedule(every10(name, { missed: "all" }));
    await lastHandled(name, 35_000);
    const timer = env.SCHEDULE_TIMER.getByName(name);
    await timer.arm();
    await runDurableObjectAlarm(timer);
    await timer.arm();
    await runDurableObjectAlarm(timer);
    const runs = await runsOf(name);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expectOnePerSlot(runs);
  });

  it("a slot that has its run keeps it, even when a firing is planned from rewound state", async () => {
    const name = uniqueName("rewound");
    await createSchedule(every10(name, { missed: "all" }));
    await lastHandled(name, 35_000);
    await fire(name);
    const first = await runsOf(name);
    // Ended runs no longer hold their dedupe key: only the run log can refuse a second run now.
    await vi.waitUntil(async () => (await runsOf(name)).every((r) => r.status === "Finished"), {
      timeout: 20_000,
      interval: 50,
    });
    // As if the schedule's state had been restored from before that firing.
    await lastHandled(name, 35_000);
    await fire(name);
    const runs = await runsOf(name);
    expectOnePerSlot(runs);
    expect(runs.map((r) => r.name).slice(0, first.length)).toEqual(first.map((r) => r.name));
  });

  it("concurrent firings — alarm, watchdog cron and a second planner — handle each slot once", async () => {
    const name = uniqueName("race");
    await createSchedule(every10(name, { missed: "all" }));
    await lastHandled(name, 45_000);
    await Promise.all([fire(name), runCron(), fireSchedule(env, name), fireSchedule(env, name)]);
    const runs = await runsOf(name);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expectOnePerSlot(runs);
    const log = await runLog(name);
    expect(log.filter((r) => r.outcome === "enqueued")).toHaveLength(runs.length);
  });

  it("a timer evicted after planning, and restarted, neither loses nor repeats a slot", async () => {
    const name = uniqueName("evict");
    await createSchedule(every10(name, { missed: "all" }));
    await lastHandled(name, 25_000);
    const timer = env.SCHEDULE_TIMER.getByName(name);
    // A firing planned from this state is the one an evicted object would have started.
    const stale = await env.DB.prepare("SELECT version FROM scheduled_jobs WHERE name = ?").bind(name).first();
    await fire(name);
    await evictDurableObject(timer);
    // The restarted object fires again (its alarm, the watchdog): nothing is due twice.
    await fire(name);
    await fireSchedule(env, name);
    const runs = await runsOf(name);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expectOnePerSlot(runs);
    expect(stale).not.toBeNull();
  });

  it("each run records its schedule and slot, and its dedupe key names them", async () => {
    const name = uniqueName("record");
    await createSchedule(every10(name));
    await lastHandled(name, 12_000);
    await fire(name);
    const [run] = await runsOf(name);
    expect(run).toBeDefined();
    const task = await call(`/api/v1/tasks/${run?.name}`);
    expect(task.body.scheduled_job).toBe(name);
    expect(task.body.scheduled_for).toBe(new Date(run?.scheduled_for ?? 0).toISOString());
    expect(task.body.dedupe_key).toBe(`schedule:${name}:${task.body.scheduled_for}`);
    expect(task.body.owner).toBe("Administrator");
  });
});

describe("missed runs after an outage", () => {
  it("once: one catch-up run, the rest counted and visible as missed", async () => {
    const name = uniqueName("once");
    await createSchedule(every10(name, { missed: "once" }));
    await lastHandled(name, 65_000);
    await fire(name);
    expect(await runsOf(name)).toHaveLength(1);
    const schedule = await getSchedule(name);
    expect(schedule.counters.runs).toBe(1);
    expect(schedule.counters.missed).toBeGreaterThanOrEqual(5);
    const missed = (await runLog(name)).find((r) => r.outcome === "missed");
    expect(missed.count).toBe(schedule.counters.missed);
  });

  it("all: one run per missed slot within the window, capped", async () => {
    const name = uniqueName("all");
    await createSchedule(every10(name, { missed: "all", catch_up_max: 4 }));
    await lastHandled(name, 65_000);
    await fire(name);
    const runs = await runsOf(name);
    expect(runs).toHaveLength(4);
    expectOnePerSlot(runs);
    const schedule = await getSchedule(name);
    expect(schedule.counters.runs).toBe(4);
    expect(schedule.counters.missed).toBeGreaterThanOrEqual(2);
  });

  it("skip: no catch-up run (only the slot that is on time now runs); every missed slot is counted", async () => {
    const name = uniqueName("skip");
    await createSchedule(every10(name, { missed: "skip" }));
    await lastHandled(name, 15 * 60_000);
    await fire(name);
    const runs = await runsOf(name);
    expect(runs).toHaveLength(1);
    expect(Date.now() - (runs[0]?.scheduled_for ?? 0)).toBeLessThanOrEqual(5 * 60_000);
    const schedule = await getSchedule(name);
    expect(schedule.counters.missed).toBeGreaterThanOrEqual(88);
    expect(schedule.next_execution).not.toBeNull();
  });
});

describe("overlap policies", () => {
  /** A schedule whose previous run is still active (a long sleep on the long queue). */
  async function withLiveRun(overlap: string, missed = "skip") {
    const name = uniqueName(overlap);
    await createSchedule({
      name,
      method: "demo.sleep",
      queue: "long",
      arguments: { ms: 600_000 },
      frequency: "every",
      every_s: 10,
      overlap,
      missed,
    });
    await lastHandled(name, 5_000);
    const run = await call(`/api/v1/scheduled-jobs/${name}/run`, { method: "POST" });
    expect(run.status).toBe(201);
    return { name, live: run.body.task as string };
  }

  it("skip: a slot due while the previous run is active is skipped and counted", async () => {
    const { name, live } = await withLiveRun("skip");
    await lastHandled(name, 12_000);
    await fire(name);
    expect((await runsOf(name)).map((r) => r.name)).toEqual([live]);
    expect((await getSchedule(name)).counters.skipped_overlap).toBe(1);
    await call(`/api/v1/tasks/${live}/cancel`, { method: "POST", body: {} });
  });

  it("buffer_one: one slot waits while the run is active and runs once it has ended; a second is skipped", async () => {
    const { name, live } = await withLiveRun("buffer_one", "all");
    // Two or three slots are due, depending on where the clock stands in its 10 s: one is
    // buffered, every other one is skipped.
    await lastHandled(name, 22_000);
    await fire(name);
    const buffered = await getSchedule(name);
    expect(buffered.buffered_slot).not.toBeNull();
    const skipped = (await runLog(name))
      .filter((r: { outcome: string }) => r.outcome === "skipped_overlap")
      .reduce((n: number, r: { count: number }) => n + r.count, 0);
    expect(skipped).toBeGreaterThanOrEqual(1);
    expect(buffered.counters.skipped_overlap).toBe(skipped);
    expect(await runsOf(name)).toHaveLength(1);
    await call(`/api/v1/tasks/${live}/cancel`, { method: "POST", body: {} });
    await fire(name);
    const runs = await runsOf(name);
    expect(runs).toHaveLength(2);
    expect((await getSchedule(name)).buffered_slot).toBeNull();
    for (const r of runs) await call(`/api/v1/tasks/${r.name}/cancel`, { method: "POST", body: {} });
  });

  it("allow: a new run starts beside the active one", async () => {
    const { name, live } = await withLiveRun("allow");
    await lastHandled(name, 12_000);
    await fire(name);
    const runs = await runsOf(name);
    expect(runs).toHaveLength(2);
    for (const r of runs) await call(`/api/v1/tasks/${r.name}/cancel`, { method: "POST", body: {} });
    expect(runs.map((r) => r.name)).toContain(live);
  });

  it("cancel_other: the active run is canceled and the new one enqueued", async () => {
    const { name, live } = await withLiveRun("cancel_other");
    await lastHandled(name, 12_000);
    await fire(name);
    const runs = await runsOf(name);
    expect(runs).toHaveLength(2);
    expect((await call(`/api/v1/tasks/${live}`)).body.status).toBe("Canceled");
    const fresh = runs.find((r) => r.name !== live);
    expect(fresh?.status).not.toBe("Canceled");
    await call(`/api/v1/tasks/${fresh?.name}/cancel`, { method: "POST", body: {} });
  });
});

describe("counters and limits", () => {
  it("a run that fails for good counts in failed; max_runs stops the schedule", async () => {
    const name = uniqueName("fails");
    await createSchedule({
      name,
      method: "demo.fail",
      arguments: { message: "boom", permanent: true },
      frequency: "every",
      every_s: 10,
      missed: "all",
      max_runs: 2,
    });
    await lastHandled(name, 45_000);
    await fire(name);
    await vi.waitUntil(async () => (await getSchedule(name)).counters.failed === 2, { timeout: 20_000, interval: 50 });
    const schedule = await getSchedule(name);
    expect(schedule.counters.runs).toBe(2);
    expect(schedule.stopped).toBe(true);
    expect(schedule.stop_note).toMatch(/max_runs/);
    expect(await runsOf(name)).toHaveLength(2);
  });

  it("a schedule fires from its own timer's alarm, without any cron", async () => {
    const name = uniqueName("alarm");
    await createSchedule(every10(name));
    // The next slot is at most 10 s away; the timer's alarm enqueues it.
    await vi.waitUntil(async () => (await runsOf(name)).length > 0, { timeout: 40_000, interval: 100 });
    const [log] = await runLog(name);
    expect(log.outcome).toBe("enqueued");
    await call(`/api/v1/scheduled-jobs/${name}/stop`, { method: "POST", body: {} });
  });
});
