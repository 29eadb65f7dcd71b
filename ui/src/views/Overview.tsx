// Overview (System Manager): per method — waiting, running, failures, concurrency used / limit, oldest
// pending age, p50/p95 — throughput and failures over 24 h as charts, dispatcher state, last cron,
// overdue scheduled jobs and remote targets that refuse our credentials.
import { useMemo } from "preact/hooks";
import { Chart, type Series } from "../components/Chart";
import { Empty, ErrorBox, Loading } from "../components/States";
import { formatCount, formatDuration, formatRelative } from "../format";
import { useInterval, useResource } from "../hooks";
import { href } from "../router";
import type { Ops, Stats } from "../types";
import { MetricsPanel } from "./MetricsPanel";

const REFRESH_MS = 10_000;

/** The overview page; re-reads its figures every 10 s. */
export function Overview() {
  const ops = useResource<Ops>("/api/v1/ops");
  const stats = useResource<Stats>("/api/v1/stats");
  useInterval(() => {
    void ops.reload();
    void stats.reload();
  }, REFRESH_MS);

  const charts = useMemo(() => {
    const hourly = stats.data?.hourly ?? [];
    const times = hourly.map((h) => Date.parse(h.hour) / 1000);
    const throughput: Series[] = [{ label: "Finished", color: "#16a34a", values: hourly.map((h) => h.finished) }];
    const failures: Series[] = [
      { label: "Failed", color: "#dc2626", values: hourly.map((h) => h.failed) },
      { label: "Canceled", color: "#4b5563", values: hourly.map((h) => h.canceled) },
    ];
    return { times, throughput, failures };
  }, [stats.data]);

  if (ops.error) return <ErrorBox error={ops.error} retry={() => void ops.reload()} />;
  if (!ops.data) return <Loading what="Loading overview" />;
  const statsOf = new Map((stats.data?.methods ?? []).map((m) => [m.method, m]));
  const methods = [...new Set([...ops.data.methods.map((m) => m.method), ...statsOf.keys()])].sort();
  const opsOf = new Map(ops.data.methods.map((m) => [m.method, m]));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="tiles">
        <a class={ops.data.dispatcher.enabled ? "tile" : "tile tile-bad"} href="#/settings">
          <span class="tile-label">Dispatcher</span>
          <strong>{ops.data.dispatcher.enabled ? "Running" : "Suspended"}</strong>
        </a>
        <div class="tile">
          <span class="tile-label">Last cron run</span>
          <strong>{formatRelative(ops.data.last_cron_at)}</strong>
        </div>
        <a
          class={ops.data.overdue_schedules.length > 0 ? "tile tile-bad" : "tile"}
          href={href("/scheduled-jobs")}
          data-testid="overdue-schedules"
          title={ops.data.overdue_schedules.map((s) => `${s.name}: ${formatDuration(s.late_s)} late`).join("\n")}
        >
          <span class="tile-label">Overdue schedules</span>
          <strong>{ops.data.overdue_schedules.length}</strong>
        </a>
        <a
          class={ops.data.remote_targets_auth_failed.length > 0 ? "tile tile-bad" : "tile"}
          href={href(
            ops.data.remote_targets_auth_failed.length === 1
              ? `/remote-targets/${encodeURIComponent(ops.data.remote_targets_auth_failed[0]?.name ?? "")}`
              : "/remote-targets",
          )}
          data-testid="auth-failed-targets"
          title={ops.data.remote_targets_auth_failed.map((t) => `${t.name}: ${t.last_error ?? ""}`).join("\n")}
        >
          <span class="tile-label">Remote targets refusing our credentials</span>
          <strong>
            {ops.data.remote_targets_auth_failed.length === 0
              ? "none"
              : ops.data.remote_targets_auth_failed.map((t) => t.name).join(", ")}
          </strong>
        </a>
      </div>
      <div class="grid2">
        {stats.data ? (
          <>
            <Chart title="Throughput per hour (finished), last 24 h" times={charts.times} series={charts.throughput} />
            <Chart title="Failures per hour, last 24 h" times={charts.times} series={charts.failures} />
          </>
        ) : (
          <Loading what="Loading charts" />
        )}
      </div>
      <h2>Methods</h2>
      {methods.length === 0 ? (
        <Empty>
          No tasks yet: a method shows up here once it has tasks. Enqueue one (see the{" "}
          <a href="/api/v1/docs">API docs</a>
          ), start a <a href={href("/reports")}>report</a> or a <a href={href("/scheduled-jobs")}>schedule</a>.
        </Empty>
      ) : null}
      {methods.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Method</th>
                <th class="num">Pending</th>
                <th class="num">Delayed</th>
                <th class="num">Paused</th>
                <th class="num">Queued</th>
                <th class="num">Started</th>
                <th class="num">Failed (1 h)</th>
                <th class="num">Concurrency</th>
                <th class="num">Throttled</th>
                <th class="num">Rate-limited</th>
                <th class="num">Oldest pending</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
              </tr>
            </thead>
            <tbody>
              {methods.map((name) => {
                const o = opsOf.get(name);
                const s = statsOf.get(name);
                const used = (o?.queued ?? 0) + (o?.started ?? 0);
                const limit = s?.concurrency_limit ?? 0;
                return (
                  <tr key={name} data-method={name}>
                    <td class="cell-main">
                      <a href={href("/tasks", { method: name })}>{name}</a>
                    </td>
                    <td class="num">{formatCount(o?.pending ?? 0)}</td>
                    <td class="num">{formatCount(o?.delayed ?? 0)}</td>
                    <td class="num">{formatCount(o?.paused ?? 0)}</td>
                    <td class="num">{formatCount(o?.queued ?? 0)}</td>
                    <td class="num">{formatCount(o?.started ?? 0)}</td>
                    <td class="num">
                      {o?.failed_last_hour ? (
                        <a href={href("/tasks", { method: name, status: "Failed" })}>{o.failed_last_hour}</a>
                      ) : (
                        0
                      )}
                    </td>
                    <td class={limit > 0 && used >= limit ? "num bad" : "num"}>
                      {used} / {limit > 0 ? limit : "∞"}
                    </td>
                    <td class="num" data-testid="throttled">
                      {formatCount(o?.throttled ?? 0)}
                    </td>
                    <td class="num" data-testid="rate-limited">
                      {formatCount(o?.rate_limited ?? 0)}
                    </td>
                    <td class="num">{formatDuration(o?.oldest_pending_age_s ?? null)}</td>
                    <td class="num">{formatDuration(s?.p50_s ?? null)}</td>
                    <td class="num">{formatDuration(s?.p95_s ?? null)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      <MetricsPanel />
    </section>
  );
}
