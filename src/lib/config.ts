// Tunables read from Worker vars, with the defaults documented in the README.

function intVar(value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

export interface Config {
  /** How long a Queued task may wait for its worker before its message is presumed lost and re-sent. */
  queuedLeaseMs: number;
  /** Extra time past a Started task's timeout before its worker is presumed lost. */
  leaseGraceMs: number;
  /** How often a running handler checks whether its task was canceled. */
  cancelPollMs: number;
  /** Minimum time between two progress writes of one task. */
  progressIntervalMs: number;
  /** Days to keep finished task logs. */
  retentionDays: number;
  /** Most tasks one scheduler pass admits (bounds a pass on unlimited methods). */
  admitPerPass: number;
  /** Largest task arguments JSON, in bytes. */
  maxArgumentsBytes: number;
  /** How long a finished report job is reused for identical requests. */
  reportFreshMs: number;
  /** How long a report result is kept in R2 after it was written. */
  reportResultTtlMs: number;
  /** The rate limiters' period: how long a 429 asks the client to wait. */
  rateLimitPeriodS: number;
  /** Unredeemed WebSocket tickets one API key may hold. */
  maxTicketsPerKey: number;
  /** Long polls (report status waits) one API key may hold open at once. */
  maxLongPollsPerKey: number;
  /** Origins allowed to call the API from a browser; empty means CORS is off. */
  corsOrigins: string[];
}

/** The configuration for this environment. */
export function config(env: object): Config {
  const vars = env as Record<string, unknown>;
  const v = (key: string) => (typeof vars[key] === "string" ? vars[key] : undefined);
  return {
    queuedLeaseMs: intVar(v("QUEUED_LEASE_S"), 120, 1) * 1000,
    leaseGraceMs: intVar(v("LEASE_GRACE_S"), 30, 0) * 1000,
    cancelPollMs: intVar(v("CANCEL_POLL_MS"), 1000, 50),
    progressIntervalMs: intVar(v("PROGRESS_INTERVAL_MS"), 250, 0),
    retentionDays: intVar(v("RETENTION_DAYS"), 30, 1),
    admitPerPass: intVar(v("ADMIT_PER_PASS"), 200, 1),
    maxArgumentsBytes: intVar(v("MAX_ARGUMENTS_BYTES"), 64 * 1024, 1),
    reportFreshMs: intVar(v("REPORT_FRESH_S"), 600, 0) * 1000,
    reportResultTtlMs: intVar(v("REPORT_RESULT_TTL_S"), 86_400, 60) * 1000,
    rateLimitPeriodS: intVar(v("RATE_LIMIT_PERIOD_S"), 10, 1),
    maxTicketsPerKey: intVar(v("MAX_TICKETS_PER_KEY"), 20, 1),
    maxLongPollsPerKey: intVar(v("MAX_LONG_POLLS_PER_KEY"), 10, 1),
    corsOrigins: (v("CORS_ORIGINS") ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ""),
  };
}
