// Tunables read from Worker vars and checked with zod: a var that is set but invalid is an error
// that names it, never a silent fallback to the default. Defaults are documented in docs/configuration.md.
import { z } from "zod";

/** A configuration var is set to something unusable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A whole-number var: unset or empty means `fallback`. */
const whole = (fallback: number, min: number, unit: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || v === "" || /^\d+$/.test(v.trim()), {
      message: `must be a whole number of ${unit}`,
    })
    .transform((v) => (v === undefined || v === "" ? fallback : Number(v.trim())))
    .refine((n) => n >= min, { message: `must be at least ${min} ${unit}` });

const onOff = z
  .enum(["on", "off", ""])
  .optional()
  .transform((v) => v === "on");

/** Vars that are secrets: an error names them but never shows their value. */
const SECRETS = new Set(["SESSION_SECRET"]);

const Vars = z.object({
  QUEUED_LEASE_S: whole(120, 1, "seconds"),
  LEASE_GRACE_S: whole(30, 0, "seconds"),
  CANCEL_CHANNEL_AFTER_MS: whole(1000, 0, "milliseconds"),
  LOG_FLUSH_MS: whole(200, 10, "milliseconds"),
  LOG_DELAY_MS: whole(500, 0, "milliseconds"),
  TASKS_PER_MESSAGE: whole(10, 1, "tasks"),
  PROGRESS_INTERVAL_MS: whole(250, 0, "milliseconds"),
  RETENTION_DAYS: whole(30, 1, "days"),
  ADMIT_PER_PASS: whole(200, 1, "tasks"),
  MAX_ARGUMENTS_BYTES: whole(64 * 1024, 1, "bytes"),
  REPORT_FRESH_S: whole(600, 0, "seconds"),
  REPORT_RESULT_TTL_S: whole(86_400, 60, "seconds"),
  RATE_LIMIT_PERIOD_S: whole(10, 1, "seconds"),
  MAX_TICKETS_PER_KEY: whole(20, 1, "tickets"),
  MAX_LONG_POLLS_PER_KEY: whole(10, 1, "long polls"),
  // The stated bound on how long a revoked key (or a logged-out session) still works in an isolate
  // that checked it just before: at most 10 s; 0 checks D1 on every request.
  KEY_CACHE_TTL_S: whole(10, 0, "seconds").refine((n) => n <= 10, { message: "must be at most 10 seconds" }),
  CORS_ORIGINS: z.string().optional(),
  PUBLIC_URL: z.union([z.literal(""), z.url({ protocol: /^https?$/ })]).optional(),
  REMOTE_ALLOW_INSECURE_LOCAL: onOff,
  REMOTE_HEARTBEAT_S: whole(120, 1, "seconds"),
  REMOTE_ROTATION_GRACE_S: whole(86_400, 0, "seconds"),
  // A secret (wrangler secret put): signs console session cookies. Unset: console sign-in is off.
  SESSION_SECRET: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === "" || v.length >= 32, { message: "must be at least 32 characters" }),
  DEMO_METHODS: onOff,
  METRICS: onOff,
  // The method objects' task counters behind GET /api/v1/metrics (on unless set to "off").
  TASK_METRICS: z
    .enum(["on", "off"])
    .default("on")
    .transform((v) => v === "on"),
  // Alerts and completion webhooks: how long an isolate trusts its copy of the subscriptions (a new
  // subscription covers tasks that end at most this long after it is made), the sender of alert
  // email, and the same local-development switch as remote targets for webhook URLs.
  WEBHOOK_CACHE_TTL_S: whole(10, 0, "seconds").refine((n) => n <= 60, { message: "must be at most 60 seconds" }),
  ALERT_EMAIL_FROM: z.union([z.literal(""), z.email()]).optional(),
});

export interface Config {
  /** How long a Queued task may wait for its worker before its message is presumed lost and re-sent. */
  queuedLeaseMs: number;
  /** Extra time past a Started task's timeout before its worker is presumed lost. */
  leaseGraceMs: number;
  /**
   * How long an attempt runs before its consumer opens a cancel channel to the method's object
   * (a cancel reaches a handler at most this long plus a moment after it is made).
   */
  cancelChannelAfterMs: number;
  /** How often a method's object writes a group of changes to the log (D1). */
  logFlushMs: number;
  /** How long a new task waits before its first log write (so a short task is written once, ended). */
  logDelayMs: number;
  /** Most task attempts one queue message carries (long-queue messages carry one). */
  tasksPerMessage: number;
  /** Minimum time between two progress writes of one task. */
  progressIntervalMs: number;
  /** Days to keep finished task logs. */
  retentionDays: number;
  /** Most tasks one admission pass admits (bounds a pass on unlimited methods). */
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
  /** How long an isolate trusts what it found about a key or a session without asking D1 again. */
  keyCacheTtlMs: number;
  /** Origins allowed to call the API from a browser; empty means CORS is off. */
  corsOrigins: string[];
  /** The key that signs console session cookies; null when console sign-in is not configured. */
  sessionSecret: string | null;
  /** The example methods and reports are registered (local development and tests). */
  demoMethods: boolean;
  /** Operation counters and GET /api/v1/ops/metrics are on (the benchmark sets it). */
  metrics: boolean;
  /** The method objects count their transitions for GET /api/v1/metrics (off only to measure what it costs). */
  taskMetrics: boolean;
  /** This deployment's origin, for the callback URLs remote methods get (null: unknown). */
  publicUrl: string | null;
  /** Local development only: remote targets may use http:// and loopback addresses. */
  remoteAllowInsecureLocal: boolean;
  /** How long a remote attempt that answered 202 may go without a callback before it is presumed lost. */
  remoteHeartbeatMs: number;
  /** How long a rotated-out signing secret still signs calls. */
  remoteRotationGraceMs: number;
  /** How long an isolate trusts its copy of the completion webhook subscriptions. */
  webhookCacheTtlS: number;
  /** The From address of alert email (null: email channels cannot send). */
  alertEmailFrom: string | null;
}

const parsed = new WeakMap<object, Config>();

/**
 * The configuration for this environment, parsed once per env object. Throws ConfigError naming
 * every invalid var.
 */
export function config(env: object): Config {
  const known = parsed.get(env);
  if (known) return known;
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") strings[name] = value;
  const vars = Vars.safeParse(strings);
  if (!vars.success) {
    const problems = vars.error.issues.map((issue) => {
      const name = issue.path.map(String).join(".");
      // A secret's value is never echoed into a response or a log line, only its length.
      const got = SECRETS.has(name) ? `${strings[name]?.length ?? 0} characters` : JSON.stringify(strings[name]);
      return `${name} ${issue.message} (got ${got})`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const v = vars.data;
  const cfg: Config = {
    queuedLeaseMs: v.QUEUED_LEASE_S * 1000,
    leaseGraceMs: v.LEASE_GRACE_S * 1000,
    cancelChannelAfterMs: v.CANCEL_CHANNEL_AFTER_MS,
    logFlushMs: v.LOG_FLUSH_MS,
    logDelayMs: v.LOG_DELAY_MS,
    tasksPerMessage: v.TASKS_PER_MESSAGE,
    progressIntervalMs: v.PROGRESS_INTERVAL_MS,
    retentionDays: v.RETENTION_DAYS,
    admitPerPass: v.ADMIT_PER_PASS,
    maxArgumentsBytes: v.MAX_ARGUMENTS_BYTES,
    reportFreshMs: v.REPORT_FRESH_S * 1000,
    reportResultTtlMs: v.REPORT_RESULT_TTL_S * 1000,
    rateLimitPeriodS: v.RATE_LIMIT_PERIOD_S,
    maxTicketsPerKey: v.MAX_TICKETS_PER_KEY,
    maxLongPollsPerKey: v.MAX_LONG_POLLS_PER_KEY,
    keyCacheTtlMs: v.KEY_CACHE_TTL_S * 1000,
    corsOrigins: (v.CORS_ORIGINS ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ""),
    sessionSecret: v.SESSION_SECRET === undefined || v.SESSION_SECRET === "" ? null : v.SESSION_SECRET,
    demoMethods: v.DEMO_METHODS,
    metrics: v.METRICS,
    taskMetrics: v.TASK_METRICS,
    publicUrl: v.PUBLIC_URL ? v.PUBLIC_URL.replace(/\/+$/, "") : null,
    remoteAllowInsecureLocal: v.REMOTE_ALLOW_INSECURE_LOCAL,
    remoteHeartbeatMs: v.REMOTE_HEARTBEAT_S * 1000,
    remoteRotationGraceMs: v.REMOTE_ROTATION_GRACE_S * 1000,
    webhookCacheTtlS: v.WEBHOOK_CACHE_TTL_S,
    alertEmailFrom: v.ALERT_EMAIL_FROM ? v.ALERT_EMAIL_FROM : null,
  };
  parsed.set(env, cfg);
  return cfg;
}
