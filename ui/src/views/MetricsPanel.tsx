// The Overview's counters: the figures of GET /api/v1/metrics (format=json) — the very numbers a
// Prometheus scrape gets — per method (attempts started, finished, failed, retried, canceled,
// lost, dead letters; wait and run time estimated from the histograms), per remote target and per
// schedule.
import type { HistogramJson, MetricsJson } from "../../../src/contract/metrics";
import { ErrorBox, Loading } from "../components/States";
import { formatCount, formatDuration } from "../format";
import { useInterval, useResource } from "../hooks";
import { href } from "../router";

const REFRESH_MS = 10_000;

/**
 * The q-quantile of a histogram, interpolated within its bucket as Prometheus' histogram_quantile
 * does (null without observations; the largest finite bound when it falls in +Inf).
 */
export function quantile(h: HistogramJson, q: number): number | null {
  if (h.count === 0) return null;
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === "+Inf") return lower;
      const inBucket = b.count - below;
      return inBucket === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inBucket;
    }
    if (b.le !== "+Inf") lower = b.le;
    below = b.count;
  }
  return lower;
}

/** The counters tables; re-read every 10 s. */
export function MetricsPanel() {
  const metrics = useResource<MetricsJson>("/api/v1/metrics?format=json");
  useInterval(() => void metrics.reload(), REFRESH_MS);
  if (metrics.error) return <ErrorBox error={metrics.error} retry={() => void metrics.reload()} />;
  if (!metrics.data) return <Loading what="Loading counters" />;
  const m = metrics.data;
  return (
    <section aria-labelledby="counters-title" data-testid="metrics-panel">
      <h2 id="counters-title">Counters</h2>
      <p class="hint">
        Since each method's first task, from <a href="/api/v1/metrics">/api/v1/metrics</a> (the figures Prometheus
        scrapes). Wait: from when an attempt could start to its start.
        {m.unreachable_methods.length > 0 ? ` Not answering now: ${m.unreachable_methods.join(", ")}.` : ""}
      </p>
      {m.methods.length > 0 ? (
        <div class="table-wrap">
          <table class="table" data-testid="method-counters">
            <thead>
              <tr>
                <th>Method</th>
                <th class="num">Started</th>
                <th class="num">Finished</th>
                <th class="num">Failed</th>
                <th class="num">Failed for good</th>
                <th class="num">Retried</th>
                <th class="num">Canceled</th>
                <th class="num">Lost</th>
                <th class="num">Dead letters</th>
                <th class="num">Wait p50</th>
                <th class="num">Wait p95</th>
                <th class="num">Run p95</th>
                <th class="num">Oldest waiting</th>
              </tr>
            </thead>
            <tbody>
              {m.methods.map((x) => (
                <tr key={x.method} data-counters-method={x.method}>
                  <td class="cell-main">
                    <a href={href("/tasks", { method: x.method })}>{x.method}</a>
                  </td>
                  <td class="num" data-counter="started">
                    {formatCount(x.started)}
                  </td>
                  <td class="num" data-counter="finished">
                    {formatCount(x.finished)}
                  </td>
                  <td class="num" data-counter="failed">
                    {formatCount(x.failed)}
                  </td>
                  <td class={x.failed_final > 0 ? "num bad" : "num"} data-counter="failed_final">
                    {formatCount(x.failed_final)}
                  </td>
                  <td class="num">{formatCount(x.retried)}</td>
                  <td class="num">{formatCount(x.canceled)}</td>
                  <td class="num">{formatCount(x.lost)}</td>
                  <td class="num">{formatCount(x.dead_letters)}</td>
                  <td class="num">{formatDuration(quantile(x.wait, 0.5))}</td>
                  <td class="num">{formatDuration(quantile(x.wait, 0.95))}</td>
                  <td class="num">{formatDuration(quantile(x.run, 0.95))}</td>
                  <td class="num">{formatDuration(x.oldest_waiting_age_s)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {m.targets.length > 0 ? (
        <div class="table-wrap">
          <table class="table" data-testid="target-counters">
            <thead>
              <tr>
                <th>Remote target</th>
                <th class="num">Calls</th>
                <th class="num">Failures</th>
                <th class="num">Auth failures</th>
              </tr>
            </thead>
            <tbody>
              {m.targets.map((t) => (
                <tr key={t.target}>
                  <td class="cell-main">
                    <a href={href(`/remote-targets/${encodeURIComponent(t.target)}`)}>{t.target}</a>
                  </td>
                  <td class="num">{formatCount(t.calls)}</td>
                  <td class="num">{formatCount(t.failures)}</td>
                  <td class={t.auth_failed ? "num bad" : "num"}>{formatCount(t.auth_failures)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {m.schedules.length > 0 ? (
        <div class="table-wrap">
          <table class="table" data-testid="schedule-counters">
            <thead>
              <tr>
                <th>Schedule</th>
                <th class="num">Runs</th>
                <th class="num">Skipped</th>
                <th class="num">Missed</th>
                <th class="num">Failed</th>
                <th class="num">Last lag</th>
                <th class="num">Overdue</th>
              </tr>
            </thead>
            <tbody>
              {m.schedules.map((s) => (
                <tr key={s.name}>
                  <td class="cell-main">
                    <a href={href(`/scheduled-jobs/${encodeURIComponent(s.name)}`)}>{s.name}</a>
                  </td>
                  <td class="num">{formatCount(s.runs)}</td>
                  <td class="num">{formatCount(s.skipped + s.skipped_overlap)}</td>
                  <td class="num">{formatCount(s.missed)}</td>
                  <td class="num">{formatCount(s.failed)}</td>
                  <td class="num">{formatDuration(s.last_lag_s)}</td>
                  <td class={s.overdue ? "num bad" : "num"}>{s.overdue ? formatDuration(s.overdue_s) : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
