// GET /api/v1/metrics?format=json: the figures the Prometheus text is made of, for the console's
// Overview (one source for both). Times are ISO strings, durations seconds.

/** A histogram: cumulative counts per upper bound (`le`, seconds; the last is +Inf), sum and count. */
export interface HistogramJson {
  buckets: { le: number | "+Inf"; count: number }[];
  sum: number;
  count: number;
}

export interface MethodMetricsJson {
  method: string;
  /** Live tasks by state now: Pending (ready), Delayed, Paused, Queued, Started, Retrying (a retry is scheduled). */
  states: Record<"Pending" | "Delayed" | "Paused" | "Queued" | "Started" | "Retrying", number>;
  started: number;
  finished: number;
  failed: number;
  failed_final: number;
  retried: number;
  canceled: number;
  lost: number;
  dead_letters: number;
  oldest_waiting_age_s: number | null;
  concurrency_limit: number;
  /** Waiting tasks a throttle holds back now (flow control). */
  throttled: number;
  /** Tasks a rate limit refused so far (flow control; they end Canceled with flow_outcome rate_limited). */
  rate_limited: number;
  wait: HistogramJson;
  run: HistogramJson;
}

export interface ScheduleMetricsJson {
  name: string;
  method: string;
  runs: number;
  missed: number;
  skipped: number;
  skipped_overlap: number;
  failed: number;
  last_lag_s: number | null;
  overdue: boolean;
  overdue_s: number;
}

export interface TargetMetricsJson {
  target: string;
  calls: number;
  failures: number;
  auth_failures: number;
  auth_failed: boolean;
}

export interface MetricsJson {
  time: string;
  dispatcher_enabled: boolean;
  last_cron_at: string | null;
  methods: MethodMetricsJson[];
  schedules: ScheduleMetricsJson[];
  targets: TargetMetricsJson[];
  /** Methods whose object did not answer this time (their figures are missing, not zero). */
  unreachable_methods: string[];
}
