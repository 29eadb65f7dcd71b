// Gathering the metrics: every known method's object is asked for its counters and live figures
// (a bounded number at a time), and the catalogue for schedules, targets, the dispatcher switch
// and the last cron run. Nothing is written; an object that does not answer is named, not zeroed.
import type { MetricsJson, MethodMetricsJson, HistogramJson, TargetMetricsJson } from "../contract/metrics";
import { getDb } from "../db/client";
import { scheduleFigures, targetFigures } from "../db/metrics";
import { allMethods } from "../db/methods";
import { getDispatcher, getSetting, LAST_CRON_KEY } from "../db/settings";
import { methodTelemetry } from "../live/fan-out";
import { BUCKETS_S, type Histogram } from "../live/counters";
import type { MethodTelemetry } from "../live/object";
import { OVERDUE_AFTER_MS } from "../schedules/serialize";
import { describeError, log } from "../shared/log";
import { splitRemote } from "../shared/method-names";

/** How many method objects are asked at once. */
const FAN_OUT = 25;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A histogram as cumulative buckets. */
function cumulative(h: Histogram): HistogramJson {
  let running = 0;
  const buckets = h.buckets.map((n, i) => {
    running += n;
    return { le: BUCKETS_S[i] ?? ("+Inf" as const), count: running };
  });
  return { buckets, sum: h.sum, count: h.count };
}

function methodJson(method: string, t: MethodTelemetry, now: number): MethodMetricsJson {
  const c = t.counts;
  return {
    method,
    states: t.states,
    started: c.started,
    finished: c.finished,
    failed: c.failed,
    failed_final: c.failedFinal,
    retried: c.retried,
    canceled: c.canceled,
    lost: c.lost,
    dead_letters: c.deadLetters,
    oldest_waiting_age_s: t.oldestWaitingSince === null ? null : Math.max(0, (now - t.oldestWaitingSince) / 1000),
    concurrency_limit: t.limit,
    throttled: t.throttled,
    rate_limited: t.rateLimited,
    wait: cumulative(c.wait),
    run: cumulative(c.run),
  };
}

/**
 * Every figure of GET /api/v1/metrics, for all known methods (or only `methods` when given).
 * Remote figures are summed per target over its methods' counters.
 */
export async function collectMetrics(env: Env, now: number, methods?: readonly string[]): Promise<MetricsJson> {
  const db = getDb(env);
  const [known, schedules, targets, dispatcher, lastCron] = await Promise.all([
    methods ? Promise.resolve([...methods]) : allMethods(db),
    scheduleFigures(db),
    targetFigures(db),
    getDispatcher(db),
    getSetting(db, LAST_CRON_KEY),
  ]);
  const names = [...new Set(known)].sort();
  const answered: { method: string; telemetry: MethodTelemetry }[] = [];
  const unreachable: string[] = [];
  for (let i = 0; i < names.length; i += FAN_OUT) {
    await Promise.all(
      names.slice(i, i + FAN_OUT).map(async (method) => {
        try {
          answered.push({ method, telemetry: await methodTelemetry(env, method) });
        } catch (error) {
          log.warn("metrics: a method's object did not answer", { method, ...describeError(error) });
          unreachable.push(method);
        }
      }),
    );
  }
  answered.sort((a, b) => a.method.localeCompare(b.method));
  const byTarget = new Map<string, TargetMetricsJson>();
  const target = (name: string): TargetMetricsJson => {
    let t = byTarget.get(name);
    if (!t) {
      t = { target: name, calls: 0, failures: 0, auth_failures: 0, auth_failed: false };
      byTarget.set(name, t);
    }
    return t;
  };
  for (const row of targets) target(row.name).auth_failed = row.authFailed;
  for (const { method, telemetry } of answered) {
    const remote = splitRemote(method);
    if (remote === null) continue;
    const t = target(remote.target);
    t.calls += telemetry.counts.remoteCalls;
    t.failures += telemetry.counts.remoteFailures;
    t.auth_failures += telemetry.counts.remoteAuthFailures;
  }
  return {
    time: new Date(now).toISOString(),
    dispatcher_enabled: dispatcher.enabled,
    last_cron_at: lastCron ? iso(Number(lastCron.value)) : null,
    methods: answered.map(({ method, telemetry }) => methodJson(method, telemetry, now)),
    schedules: schedules.map((s) => {
      const overdue = !s.stopped && s.nextFireAt !== null && now > s.nextFireAt + OVERDUE_AFTER_MS;
      return {
        name: s.name,
        method: s.method,
        runs: s.runs,
        missed: s.missed,
        skipped: s.skipped,
        skipped_overlap: s.skippedOverlap,
        failed: s.failed,
        last_lag_s: s.lastLagMs === null ? null : s.lastLagMs / 1000,
        overdue,
        overdue_s: overdue && s.nextFireAt !== null ? (now - s.nextFireAt) / 1000 : 0,
      };
    }),
    targets: [...byTarget.values()].sort((a, b) => a.target.localeCompare(b.target)),
    unreachable_methods: unreachable.sort(),
  };
}
