// The minute cron: the safety net behind the schedulers' own wake-ups and alarms, plus retention.
import { getDb } from "../db/client";
import { LAST_CRON_KEY, setSetting } from "../db/settings";
import { methodsWithDueTimers, methodsWithPending } from "../dispatch/attention";
import { wakeSchedulers } from "../dispatch/wake";
import { config } from "../shared/config";
import { log } from "../shared/log";
import { purgeTickets } from "../realtime/tickets";
import { purgeExpiredReports } from "../reports/cleanup";
import { superviseSchedules } from "../schedules/watchdog";
import { purgeEndedTasks } from "../transitions/retention";

/**
 * Syncs code schedules and fires any whose timer is late (the watchdog), wakes every method with work waiting, a due timer (delayed start, retry) or an expired lease
 * (lost message, lost worker) — the scheduler's pass does the recovery — then purges old logs
 * and expired report results.
 */
export async function runCron(
  env: Env,
  now = Date.now(),
): Promise<{ woken: string[]; purged: number; reportsPurged: number; schedulesFired: string[] }> {
  const db = getDb(env);
  const schedulesFired = await superviseSchedules(env, now);
  const [pending, due] = await Promise.all([methodsWithPending(db), methodsWithDueTimers(db, now)]);
  const woken = [...new Set([...pending, ...due])];
  await wakeSchedulers(env, woken);
  const purged = await purgeEndedTasks(db, now, config(env).retentionDays);
  await purgeTickets(db, now);
  const reportsPurged = await purgeExpiredReports(env, now);
  await setSetting(db, LAST_CRON_KEY, String(now), now);
  log.info("cron run", { woken: woken.length, purged, reportsPurged, schedulesFired: schedulesFired.length });
  return { woken, purged, reportsPurged, schedulesFired };
}
