// The Prometheus text exposition format (version 0.0.4) of the metrics: one family per name, each
// with HELP and TYPE, names after Prometheus conventions (`switchyard_` prefix, base units in the
// name, `_total` on counters). FAMILIES is the one list of names: the route checks `family=` with it.
import type { HistogramJson, MetricsJson } from "../contract/metrics";

type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number; suffix?: string };
type Family = { type: "counter" | "gauge" | "histogram"; help: string; samples: (m: MetricsJson) => Sample[] };

const perMethod =
  (pick: (m: MetricsJson["methods"][number]) => number) =>
  (m: MetricsJson): Sample[] =>
    m.methods.map((x) => ({ labels: { method: x.method }, value: pick(x) }));

const perSchedule =
  (pick: (s: MetricsJson["schedules"][number]) => number | null) =>
  (m: MetricsJson): Sample[] =>
    m.schedules.flatMap((s) => {
      const value = pick(s);
      return value === null ? [] : [{ labels: { schedule: s.name, method: s.method }, value }];
    });

const perTarget =
  (pick: (t: MetricsJson["targets"][number]) => number) =>
  (m: MetricsJson): Sample[] =>
    m.targets.map((t) => ({ labels: { target: t.target }, value: pick(t) }));

function histogram(labels: Labels, h: HistogramJson): Sample[] {
  return [
    ...h.buckets.map((b) => ({
      labels: { ...labels, le: b.le === "+Inf" ? "+Inf" : String(b.le) },
      value: b.count,
      suffix: "_bucket",
    })),
    { labels, value: h.sum, suffix: "_sum" },
    { labels, value: h.count, suffix: "_count" },
  ];
}

/** Every metric family, by name. */
export const FAMILIES: Readonly<Record<string, Family>> = {
  switchyard_tasks: {
    type: "gauge",
    help: "Live tasks of the method by state now (Pending: ready to start; Delayed: run_at ahead; Retrying: a retry is scheduled).",
    samples: (m) =>
      m.methods.flatMap((x) =>
        Object.entries(x.states).map(([state, value]) => ({ labels: { method: x.method, state }, value })),
      ),
  },
  switchyard_tasks_throttled: {
    type: "gauge",
    help: "Waiting tasks a throttle (flow control) holds back now.",
    samples: perMethod((x) => x.throttled),
  },
  switchyard_tasks_rate_limited_total: {
    type: "counter",
    help: "Tasks a rate limit (flow control) refused: they ended Canceled with flow_outcome rate_limited, without running.",
    samples: perMethod((x) => x.rate_limited),
  },
  switchyard_tasks_started_total: {
    type: "counter",
    help: "Attempts started (claimed by a consumer).",
    samples: perMethod((x) => x.started),
  },
  switchyard_tasks_finished_total: {
    type: "counter",
    help: "Attempts finished successfully.",
    samples: perMethod((x) => x.finished),
  },
  switchyard_tasks_failed_total: {
    type: "counter",
    help: "Attempts failed, whether or not a retry follows (timeouts, lost workers and dead letters included).",
    samples: perMethod((x) => x.failed),
  },
  switchyard_tasks_failed_final_total: {
    type: "counter",
    help: "Tasks failed with no retry left.",
    samples: perMethod((x) => x.failed_final),
  },
  switchyard_tasks_retried_total: {
    type: "counter",
    help: "Failed or canceled tasks sent back to Pending, by an automatic or a manual retry.",
    samples: perMethod((x) => x.retried),
  },
  switchyard_tasks_canceled_total: {
    type: "counter",
    help: "Tasks canceled.",
    samples: perMethod((x) => x.canceled),
  },
  switchyard_tasks_lost_total: {
    type: "counter",
    help: "Attempts failed because their worker or remote was presumed lost (the lease ran out).",
    samples: perMethod((x) => x.lost),
  },
  switchyard_dead_letters_total: {
    type: "counter",
    help: "Queue messages dead-lettered whose attempt was still Queued (the attempt failed).",
    samples: perMethod((x) => x.dead_letters),
  },
  switchyard_task_wait_seconds: {
    type: "histogram",
    help: "From when an attempt could start (enqueued, due, retried or resumed) to its start.",
    samples: (m) => m.methods.flatMap((x) => histogram({ method: x.method }, x.wait)),
  },
  switchyard_task_run_seconds: {
    type: "histogram",
    help: "Run time of attempts that finished or failed after starting.",
    samples: (m) => m.methods.flatMap((x) => histogram({ method: x.method }, x.run)),
  },
  switchyard_oldest_waiting_task_age_seconds: {
    type: "gauge",
    help: "Age of the longest-waiting ready or Queued task (since it could start); 0 when none waits.",
    samples: perMethod((x) => x.oldest_waiting_age_s ?? 0),
  },
  switchyard_method_concurrency_limit: {
    type: "gauge",
    help: "The method's concurrency limit (0: unlimited).",
    samples: perMethod((x) => x.concurrency_limit),
  },
  switchyard_schedule_runs_total: {
    type: "counter",
    help: "Runs the schedule enqueued.",
    samples: perSchedule((s) => s.runs),
  },
  switchyard_schedule_skipped_total: {
    type: "counter",
    help: "Slots the schedule skipped: reason skip_next (asked for) or overlap (its overlap policy).",
    samples: (m) =>
      m.schedules.flatMap((s) => [
        { labels: { schedule: s.name, method: s.method, reason: "skip_next" }, value: s.skipped },
        { labels: { schedule: s.name, method: s.method, reason: "overlap" }, value: s.skipped_overlap },
      ]),
  },
  switchyard_schedule_missed_total: {
    type: "counter",
    help: "Slots the schedule missed (the platform was not there to fire them, and the missed policy dropped them).",
    samples: perSchedule((s) => s.missed),
  },
  switchyard_schedule_failed_total: {
    type: "counter",
    help: "Runs of the schedule that failed for good.",
    samples: perSchedule((s) => s.failed),
  },
  switchyard_schedule_lag_seconds: {
    type: "gauge",
    help: "Lag of the schedule's latest run: enqueue time minus its slot.",
    samples: perSchedule((s) => s.last_lag_s),
  },
  switchyard_schedule_overdue: {
    type: "gauge",
    help: "1 when a running schedule's next slot is more than a minute late, else 0.",
    samples: perSchedule((s) => (s.overdue ? 1 : 0)),
  },
  switchyard_schedule_overdue_seconds: {
    type: "gauge",
    help: "How late an overdue schedule's next slot is (0 when not overdue).",
    samples: perSchedule((s) => s.overdue_s),
  },
  switchyard_remote_calls_total: {
    type: "counter",
    help: "Calls made to the remote target for task attempts (answered or not).",
    samples: perTarget((t) => t.calls),
  },
  switchyard_remote_call_failures_total: {
    type: "counter",
    help: "Calls to the remote target that failed the attempt (no answer, or an error answer).",
    samples: perTarget((t) => t.failures),
  },
  switchyard_remote_auth_failures_total: {
    type: "counter",
    help: "Calls the remote target answered 401 or 403 (our credentials refused).",
    samples: perTarget((t) => t.auth_failures),
  },
  switchyard_remote_target_auth_failed: {
    type: "gauge",
    help: "1 while the remote target's last answer refused our credentials, else 0.",
    samples: perTarget((t) => (t.auth_failed ? 1 : 0)),
  },
  switchyard_dispatcher_enabled: {
    type: "gauge",
    help: "1 when the dispatcher admits new work, 0 while it is suspended.",
    samples: (m) => [{ labels: {}, value: m.dispatcher_enabled ? 1 : 0 }],
  },
  switchyard_last_cron_run_timestamp_seconds: {
    type: "gauge",
    help: "When the minute cron (the safety net) last ran, as a Unix time.",
    samples: (m) => (m.last_cron_at === null ? [] : [{ labels: {}, value: Date.parse(m.last_cron_at) / 1000 }]),
  },
  switchyard_metrics_unreachable_methods: {
    type: "gauge",
    help: "Method objects that did not answer this scrape (their series are missing from it).",
    samples: (m) => [{ labels: {}, value: m.unreachable_methods.length }],
  },
};

/** The names of every family. */
export const FAMILY_NAMES: readonly string[] = Object.keys(FAMILIES);

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The text exposition of `metrics`, only the families named in `only` when given. */
export function exposition(metrics: MetricsJson, only?: ReadonlySet<string>): string {
  const lines: string[] = [];
  for (const [name, family] of Object.entries(FAMILIES)) {
    if (only && !only.has(name)) continue;
    lines.push(`# HELP ${name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${name} ${family.type}`);
    for (const sample of family.samples(metrics)) {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(",");
      lines.push(`${name}${sample.suffix ?? ""}${labels === "" ? "" : `{${labels}}`} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
