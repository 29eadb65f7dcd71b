// Every alert kind read from the real facts (the log, schedules, remote targets, the objects, the
// dispatcher), each opening one incident for its subject and resolving once the fact is gone.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { evaluateAlerts } from "../src/alerts/evaluate";
import { insertTaskRow } from "./fixtures";
import { call, enqueue } from "./helpers";
import { siteTarget } from "./remote-support";
import { createSchedule, uniqueName } from "./schedule-support";

async function rule(body: Record<string, unknown>): Promise<string> {
  const res = await call("/api/v1/alerts/rules", { body: { name: String(body.kind), ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

describe("alert facts", () => {
  it("dead letters, missed and overdue schedules, refused credentials, a backlog and a suspended dispatcher each fire and resolve", async () => {
    const now = Date.now();
    // Dead letters: two attempts dead-lettered (as the object records them) in the log.
    const dlMethod = `demo.dl${crypto.randomUUID().slice(0, 6)}`;
    for (let i = 0; i < 2; i++) {
      await insertTaskRow({
        method: dlMethod,
        status: "Failed",
        errorMessage: "DeadLettered: the task's queue message could not be processed",
        endedAt: now - 60_000,
        createdAt: now - 120_000,
      });
    }
    const deadLetters = await rule({ kind: "dead_letters", threshold: 2, window: "15m" });

    // A schedule that missed slots and whose next firing is late.
    const schedule = uniqueName("nightly");
    await createSchedule({ name: schedule, method: "demo.echo", frequency: "hourly" });
    await env.DB.prepare(
      "INSERT INTO schedule_runs (schedule, slot, kind, outcome, count, at) VALUES (?, ?, 'slot', 'missed', 3, ?)",
    )
      .bind(schedule, now - 3 * 3_600_000, now - 30_000)
      .run();
    await env.DB.prepare("UPDATE scheduled_jobs SET next_fire_at = ? WHERE name = ?")
      .bind(now - 600_000, schedule)
      .run();
    const missed = await rule({ kind: "schedule_missed", schedule, threshold: 3, window: "1h" });
    const overdue = await rule({ kind: "schedule_overdue", schedule, threshold: 300 });

    // A remote target that refused our credentials.
    const target = await siteTarget();
    await env.DB.prepare("UPDATE remote_targets SET auth_failed = 1, last_error_at = ? WHERE name = ?")
      .bind(now - 5_000, target.name)
      .run();
    const auth = await rule({ kind: "remote_auth", remote_target: target.name, threshold: 1 });

    // A backlog and a suspended dispatcher: with the dispatcher off, a new task waits.
    expect((await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: false } })).status).toBe(200);
    try {
      const waiting = await enqueue({ method: "demo.echo", arguments: {} });
      const backlog = await rule({ kind: "oldest_waiting", method: "demo.echo", threshold: 120 });
      const suspended = await rule({ kind: "dispatcher_suspended", threshold: 2 });
      const later = now + 5 * 60_000;
      const run = await evaluateAlerts(env, later);
      const opened = new Map(run.opened.map((i) => [i.ruleId, i]));
      expect(opened.get(deadLetters)).toMatchObject({ subject: dlMethod, value: 2 });
      expect(opened.get(missed)).toMatchObject({ subject: schedule, value: 3 });
      expect(opened.get(overdue)?.subject).toBe(schedule);
      expect(opened.get(auth)?.subject).toBe(target.name);
      expect(opened.get(backlog)?.subject).toBe("demo.echo");
      expect(opened.get(suspended)?.subject).toBe("");
      expect((await evaluateAlerts(env, later + 1_000)).opened).toEqual([]);

      // Each fact goes away: every incident resolves, once.
      await env.DB.prepare("UPDATE remote_targets SET auth_failed = 0 WHERE name = ?").bind(target.name).run();
      await env.DB.prepare("UPDATE scheduled_jobs SET next_fire_at = ? WHERE name = ?")
        .bind(now + 24 * 3_600_000, schedule)
        .run();
      expect((await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: true } })).status).toBe(200);
      await call(`/api/v1/tasks/${waiting.name}/cancel`, { method: "POST", body: {} });
      const gone = await evaluateAlerts(env, now + 2 * 3_600_000);
      const names = { deadLetters, missed, overdue, auth, backlog, suspended };
      const resolvedKinds = Object.entries(names)
        .filter(([, id]) => gone.resolved.some((i) => i.ruleId === id))
        .map(([k]) => k);
      expect(resolvedKinds).toEqual(Object.keys(names));
      expect(new Set(gone.resolved.map((i) => i.ruleId))).toEqual(
        new Set([deadLetters, missed, overdue, auth, backlog, suspended]),
      );
      expect((await evaluateAlerts(env, now + 2 * 3_600_000 + 1_000)).resolved).toEqual([]);
    } finally {
      await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: true } });
    }
  });
});
