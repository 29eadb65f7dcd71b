// The minute cron's part in scheduling: sync the code's schedules (a deploy may have changed them)
// and fire every running schedule whose timer should have fired by now but did not.
import { getDb } from "../db/client";
import { dueSchedules } from "../db/schedules";
import { describeError, log } from "../shared/log";
import { syncCodeSchedules } from "./manage";

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
  return late;
}
