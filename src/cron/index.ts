// The minute cron: the safety net behind the objects' own alarms and the schedules' timers, plus
// retention. Every object that holds work (or whose method the log shows live) is ticked: it fires
// what is due (delayed starts, retries, leases), admits, and writes what the log lacks — a task
// the log shows live that the object does not hold is adopted there.
import { evaluateAlerts } from "../alerts/evaluate";
import { purgeIncidents } from "../db/alerts";
import { getDb } from "../db/client";
import { liveMethods } from "../db/methods";
import { LAST_CRON_KEY, setSetting } from "../db/settings";
import { purgeEndedTasks } from "../db/retention";
import { purgeDeliveries } from "../db/webhooks";
import { eachObject } from "../live/client";
import { purgeTickets } from "../realtime/tickets";
import { purgeExpiredReports } from "../report-jobs/cleanup";
import { superviseSchedules } from "../schedules/watchdog";
import { config } from "../shared/config";
import { describeError, log } from "../shared/log";
import { sendDeliveries } from "../webhooks/deliver";

/** Runs the minute's work; returns what it did (for tests and the log line). */
export async function runCron(
  env: Env,
  now = Date.now(),
): Promise<{ woken: string[]; purged: number; reportsPurged: number; schedulesFired: string[] }> {
  const db = getDb(env);
  const schedulesFired = await superviseSchedules(env, now);
  const woken = await liveMethods(db, now);
  await Promise.all(
    woken.map((method) =>
      eachObject(env, method, (o) => o.tick()).catch((error: unknown) =>
        log.error("could not tick a method's object; the next minute tries again", { method, ...describeError(error) }),
      ),
    ),
  );
  const purged = await purgeEndedTasks(db, now, config(env).retentionDays);
  await purgeTickets(db, now);
  // The delivery log and resolved incidents are kept as long as the task log.
  const keepSince = now - config(env).retentionDays * 86_400_000;
  await purgeDeliveries(db, keepSince);
  await purgeIncidents(db, keepSince);
  const reportsPurged = await purgeExpiredReports(env, now);
  // Alerts read the log after the objects were ticked; then every delivery that is due is retried.
  const alerts = await evaluateAlerts(env, now).catch((error: unknown) => {
    log.error("alert evaluation failed; the next minute tries again", describeError(error));
    return null;
  });
  const retried = await sendDeliveries(env, null, now).catch((error: unknown) => {
    log.error("retrying webhook deliveries failed; the next minute tries again", describeError(error));
    return [];
  });
  await setSetting(db, LAST_CRON_KEY, String(now), now);
  log.info("cron run", {
    woken: woken.length,
    purged,
    reportsPurged,
    schedulesFired: schedulesFired.length,
    incidentsOpened: alerts?.opened.length ?? 0,
    incidentsResolved: alerts?.resolved.length ?? 0,
    deliveriesRetried: retried.length,
  });
  return { woken, purged, reportsPurged, schedulesFired };
}
