// The ops summary per method: what waits and runs now, from each method's object (exact), and the
// failures of the last hour, from the log.
import { getDb } from "../db/client";
import { liveMethods } from "../db/methods";
import { failuresSince } from "../db/ops";
import { methodSummary } from "../live/fan-out";

export interface MethodSummary {
  method: string;
  pending: number;
  delayed: number;
  paused: number;
  queued: number;
  started: number;
  failed_last_hour: number;
  oldest_pending_at: number | null;
  /** Waiting tasks a throttle holds back now. */
  throttled: number;
  /** Tasks a rate limit refused (since the method's object began counting). */
  rate_limited: number;
}

/** Per-method counts of live tasks and of failures since `since`, sorted by method. */
export async function methodSummaries(env: Env, now: number, since: number): Promise<MethodSummary[]> {
  const db = getDb(env);
  const failures = await failuresSince(db, since);
  const methods = [...new Set([...(await liveMethods(db, now)), ...failures.keys()])];
  const summaries = await Promise.all(
    methods.map(async (method): Promise<MethodSummary> => {
      const s = await methodSummary(env, method);
      return {
        method,
        pending: s.counts.Pending,
        delayed: s.delayed,
        paused: s.counts.Paused,
        queued: s.counts.Queued,
        started: s.counts.Started,
        failed_last_hour: failures.get(method) ?? 0,
        oldest_pending_at: s.oldestPendingAt,
        throttled: s.throttled,
        rate_limited: s.rateLimited,
      };
    }),
  );
  return summaries
    .filter((s) => s.pending + s.delayed + s.paused + s.queued + s.started + s.failed_last_hour > 0)
    .sort((a, b) => a.method.localeCompare(b.method));
}
