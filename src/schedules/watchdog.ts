// The minute cron's part in scheduling: sync the code's schedules (a deploy may have changed them),
// fire every running schedule whose timer should have fired by now but did not, and hand over
// again the runs of a recent firing that the run log names but no object received (the Worker
// stopped between the firing's commit and the hand-over).
import { getDb } from "../db/client";
import { dueSchedules, getSchedule, runsMissingTasks } from "../db/schedules";
import { readTasks } from "../live/read";
import { describeError, log } from "../shared/log";
import { MethodResolver } from "../tasks/resolve";
import { handOver, runTask } from "./fire";
import { syncCodeSchedules } from "./manage";

/** How long a firing's runs have to reach their object before the watchdog hands them over again. */
const HAND_OVER_GRACE_MS = 60_000;
const HAND_OVER_WINDOW_MS = 15 * 60_000;

/** How late a firing may be before the watchdog steps in (the timer's own alarm is precise). */
const LATE_MS = 10_000;
const MAX_PER_RUN = 200;

/** Syncs code schedules, then fires the overdue ones through their timers. Returns their names. */
export async function superviseSchedules(env: Env, now: number): Promise<string[]> {
  try {
    await syncCodeSchedules(env, now);
  } catch (error) {
    log.error("syncing code schedules failed", describeError(error));
  }
  const late = await dueSchedules(getDb(env), now - LATE_MS, MAX_PER_RUN);
  await Promise.all(
    late.map(async (name) => {
      try {
        await env.SCHEDULE_TIMER.getByName(name).fire();
      } catch (error) {
        log.error("watchdog could not fire schedule", { schedule: name, ...describeError(error) });
      }
    }),
  );
  if (late.length > 0) log.warn("watchdog fired late schedules", { schedules: late });
  await handOverMissing(env, now).catch((error: unknown) =>
    log.error("watchdog could not hand over runs", describeError(error)),
  );
  return late;
}

/** Runs of recent firings that no object holds and the log does not show: handed over again. */
async function handOverMissing(env: Env, now: number): Promise<void> {
  const db = getDb(env);
  const missing = await runsMissingTasks(db, now - HAND_OVER_WINDOW_MS, now - HAND_OVER_GRACE_MS);
  if (missing.length === 0) return;
  const held = new Set(
    (
      await readTasks(
        env,
        missing.map((r) => r.taskName),
      )
    ).map((t) => t.name),
  );
  for (const run of missing.filter((r) => !held.has(r.taskName))) {
    const row = await getSchedule(db, run.schedule);
    if (!row) continue;
    const resolver = await MethodResolver.load(env, [row.method, row.documentType]);
    const task = await runTask(env, row, run.slot, run.at, run.kind, resolver, run.taskName);
    await handOver(env, [task]);
    log.warn("schedule run handed over again", { schedule: run.schedule, task: run.taskName });
  }
}
