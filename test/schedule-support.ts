// Helpers of the scheduled-jobs tests: create schedules, make slots due by moving a schedule's past
// (no waiting for the clock), and read back what the engine did.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { ADMIN, call, settleLog } from "./helpers";

export const uniqueName = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/** Creates a schedule through the API (201 expected); returns its JSON. */
export async function createSchedule(spec: Record<string, unknown>, key: string = ADMIN): Promise<any> {
  const res = await call("/api/v1/scheduled-jobs", { body: spec, key });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/**
 * Moves a schedule into the past as if the engine had last handled a slot `agoMs` ago and the
 * schedule had existed for an hour: the slots since are due now.
 */
export async function lastHandled(name: string, agoMs: number, slotMs = 10_000): Promise<void> {
  const now = Date.now();
  const last = Math.floor((now - agoMs) / slotMs) * slotMs;
  await env.DB.prepare(
    "UPDATE scheduled_jobs SET last_slot = ?1, active_since = ?2, next_fire_at = ?3, version = version + 1 WHERE name = ?4",
  )
    .bind(last, now - 3_600_000, last + slotMs, name)
    .run();
}

/** The schedule's runs as tasks (from the log, once it has caught up): name, status and slot. */
export async function runsOf(name: string): Promise<{ name: string; status: string; scheduled_for: number }[]> {
  await settleLog();
  const { results } = await env.DB.prepare(
    "SELECT name, status, scheduled_for FROM tasks WHERE scheduled_job = ? ORDER BY scheduled_for",
  )
    .bind(name)
    .all<{ name: string; status: string; scheduled_for: number }>();
  return results;
}

/** The schedule as the API shows it. */
export async function getSchedule(name: string, key: string = ADMIN): Promise<any> {
  const res = await call(`/api/v1/scheduled-jobs/${name}`, { key });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The run log, newest first. */
export async function runLog(name: string): Promise<any[]> {
  const res = await call(`/api/v1/scheduled-jobs/${name}/runs?limit=500`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Fires the schedule through its timer, as the alarm or the watchdog would. */
export function fire(name: string): Promise<number | null> {
  return env.SCHEDULE_TIMER.getByName(name).fire();
}

/** Every slot appears at most once among the schedule's tasks. */
export function expectOnePerSlot(runs: { scheduled_for: number }[]): void {
  const slots = runs.map((r) => r.scheduled_for);
  expect(new Set(slots).size, `slots ${slots.join(", ")}`).toBe(slots.length);
}
