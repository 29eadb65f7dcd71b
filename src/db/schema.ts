// D1 schema (drizzle). `npm run db:generate` turns changes here into SQL under migrations/.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  ALERT_KINDS,
  CHANNEL_KINDS,
  DELIVERY_SOURCES,
  DELIVERY_STATUSES,
  INCIDENT_STATES,
  SUBSCRIPTION_SCOPES,
  type WebhookEvent,
} from "../shared/alert-sets";
import type { Column as ReportColumn } from "../shared/report-column";
import type { Json } from "../shared/json";
import {
  FREQUENCIES,
  MISSED_POLICIES,
  OVERLAP_POLICIES,
  RUN_OUTCOMES,
  SCHEDULE_SOURCES,
} from "../shared/schedule-sets";
import {
  FAILURE_POLICIES,
  QUEUE_NAMES,
  RETRY_BACKOFFS,
  TASK_STATUSES,
  taskWhere,
  type Progress,
  type Role,
} from "../shared/states";

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

/** A state condition of shared/states.ts as a partial-index predicate, in drizzle's own spelling. */
const where = (condition: (c: (name: string) => string) => string) => sql.raw(condition((name) => `"tasks"."${name}"`));

/**
 * The Async Task Log. Times are epoch milliseconds. The live tasks themselves are owned by their
 * method's Durable Object (src/live/); this table is the log the objects write to in groups, so it
 * trails the live state by at most the stated log lag. WITHOUT ROWID (see migrations/0015): an
 * insert writes one row, not two. Every index costs a written row per entering row, so the
 * indexes serve only the reads of the log: lists, batches, recent failures and the live rows an
 * object reconciles with.
 */
export const tasks = sqliteTable(
  "tasks",
  {
    name: text("name").primaryKey(),
    jobName: text("job_name").notNull(),
    method: text("method").notNull(),
    documentType: text("document_type"),
    documentName: text("document_name"),
    documentAction: text("document_action"),
    queue: text("queue", { enum: QUEUE_NAMES }).notNull(),
    timeout: integer("timeout").notNull(),
    priority: integer("priority").notNull().default(0),
    atFront: integer("at_front", { mode: "boolean" }).notNull().default(false),
    /** Dispatch lane: 2 = run now / retry now, 1 = at_front, 0 = normal. Higher lanes go first. */
    lane: integer("lane").notNull().default(0),
    arguments: text("arguments").$type<Json<Record<string, unknown>>>().notNull().default("{}"),
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    statusMessage: text("status_message"),
    owner: text("owner").notNull(),
    batchId: text("batch_id"),
    batchOrder: integer("batch_order").notNull().default(0),
    /**
     * The task's place in creation order: its own name, or — in a batch — the batch's order_key,
     * so a batch takes its place by its creation and batch_order orders only within it.
     */
    orderKey: text("order_key").notNull().default(""),
    maxRetries: integer("max_retries").notNull().default(0),
    retryDelay: integer("retry_delay").notNull().default(0),
    retryBackoff: text("retry_backoff", { enum: RETRY_BACKOFFS }).notNull().default("fixed"),
    retryCount: integer("retry_count").notNull().default(0),
    runAt: integer("run_at"),
    /**
     * When the method's object must next act on this task: a Pending task is not dispatchable
     * before it (delayed start); a Failed task is retried at it. NULL otherwise.
     */
    wakeAt: integer("wake_at"),
    dedupeKey: text("dedupe_key"),
    createdAt: integer("created_at").notNull(),
    queuedAt: integer("queued_at"),
    startedAt: integer("started_at"),
    endedAt: integer("ended_at"),
    timeTaken: real("time_taken"),
    attempt: integer("attempt").notNull().default(0),
    /** Deadline of the current in-flight phase: message presumed lost (Queued) or worker lost (Started). */
    leaseUntil: integer("lease_until"),
    result: text("result").$type<Json<unknown>>(),
    errorMessage: text("error_message"),
    debugLog: text("debug_log"),
    progress: text("progress").$type<Json<Progress>>(),
    jobId: text("job_id"),
    /** Bumped by every change that is published as an event, so clients can order and dedupe them. */
    seq: integer("seq").notNull().default(1),
    /** The scheduled job this task is a run of, and the slot it runs for (epoch ms). */
    scheduledJob: text("scheduled_job"),
    scheduledFor: integer("scheduled_for"),
    /** Run again: the earlier task this one repeats (same method and arguments, asked for by a user). */
    rerunOf: text("rerun_of"),
    /** Flow control keys given at enqueue (JSON, src/shared/flow.ts FlowKeys); NULL: none. */
    flowKeys: text("flow_keys"),
    /** Why flow control ended the task (it is Canceled): rate_limited, debounced, singleton_*. */
    flowOutcome: text("flow_outcome"),
    /** W3C trace context: the enqueue's traceparent (the caller's, or one made there) and tracestate. */
    traceparent: text("traceparent"),
    tracestate: text("tracestate"),
    /** When this row was last written by the log (its lag behind the live state is measured from it). */
    loggedAt: integer("logged_at"),
  },
  (t) => [
    check("tasks_status_check", sql`${t.status} IN (${inList(TASK_STATUSES)})`),
    check("tasks_queue_check", sql`${t.queue} IN (${inList(QUEUE_NAMES)})`),
    check("tasks_backoff_check", sql`${t.retryBackoff} IN (${inList(RETRY_BACKOFFS)})`),
    check("tasks_timeout_check", sql`${t.timeout} > 0`),
    // Listing: own tasks newest first; by batch. (No index by method: it would cost a written row
    // for every task to speed up an admin-only filter.)
    index("tasks_owner").on(t.owner, t.name),
    index("tasks_batch").on(t.batchId, t.batchOrder).where(where(taskWhere.inBatch)),
    // Ops: recent failures (only failed rows enter this index).
    index("tasks_failed").on(t.endedAt).where(where(taskWhere.failed)),
    // Live rows by method: what an object reconciles with, and the owner/every-task snapshots.
    index("tasks_live").on(t.method).where(where(taskWhere.live)),
    // Run again: the tasks that repeat a task (only reruns enter this index).
    index("tasks_rerun_of")
      .on(t.rerunOf)
      .where(sql`${t.rerunOf} IS NOT NULL`),
  ],
);

/** Per-method configuration (Async Task Type). A method without a row has priority 0 and no limit. */
export const taskTypes = sqliteTable(
  "task_types",
  {
    method: text("method").primaryKey(),
    priority: integer("priority").notNull().default(0),
    concurrencyLimit: integer("concurrency_limit").notNull().default(0),
    isStandard: integer("is_standard", { mode: "boolean" }).notNull().default(false),
    updatedAt: integer("updated_at").notNull(),
    /** Flow control settings (JSON, src/shared/flow.ts FlowControl); NULL: those declared in code. */
    flowControl: text("flow_control"),
  },
  (t) => [check("task_types_limit_check", sql`${t.concurrencyLimit} >= 0`)],
);

/** Global settings as key/value rows (dispatcher switch, last cron run). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** API keys in Frappe's key:secret format. Only a SHA-256 hash of the secret is stored. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    key: text("key").primaryKey(),
    secretHash: text("secret_hash").notNull(),
    user: text("user").notNull(),
    roles: text("roles").$type<Json<Role[]>>().notNull(),
    label: text("label"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
    /** When the key last authenticated a request: written at most once a minute per key per isolate. */
    lastUsedAt: integer("last_used_at"),
  },
  // A schedule's owner must still hold a live key (schedules/owner.ts).
  (t) => [
    index("api_keys_live_user")
      .on(t.user)
      .where(sql`"api_keys"."revoked_at" IS NULL`),
  ],
);

/** Console sessions logged out before their expiry (a row goes once the session would have expired). */
export const endedSessions = sqliteTable("ended_sessions", {
  nonce: text("nonce").primaryKey(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * A batch (bulk enqueue or tasks sharing a batch_id). The counters are exact: triggers in
 * migrations/ adjust them in the same transaction as every status change of a batch task.
 */
export const batches = sqliteTable(
  "batches",
  {
    batchId: text("batch_id").primaryKey(),
    owner: text("owner").notNull(),
    total: integer("total").notNull().default(0),
    finished: integer("finished").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    canceled: integer("canceled").notNull().default(0),
    /** continue: other tasks go on; pause_rest: a final failure pauses the batch's Pending tasks. */
    failurePolicy: text("failure_policy", { enum: FAILURE_POLICIES }).notNull().default("continue"),
    createdAt: integer("created_at").notNull(),
    /** The name of the batch's first task: where the whole batch stands in creation order. */
    orderKey: text("order_key").notNull(),
    /** How many of its tasks each method runs (JSON, kept by the commit): the objects a batch action must reach. */
    methods: text("methods").$type<Json<Record<string, number>>>().notNull().default("{}"),
    /** What the batch is for, as its creator put it (bulk enqueue's `label`). */
    label: text("label"),
  },
  (t) => [
    check("batches_policy_check", sql`${t.failurePolicy} IN (${inList(FAILURE_POLICIES)})`),
    index("batches_owner").on(t.owner, t.batchId),
  ],
);

/**
 * Items a per-item (chunked bulk) task could not process, with the error. Rewritten at the end of
 * each attempt; `requeued_in` marks items already sent again (so a second requeue skips them).
 */
export const itemFailures = sqliteTable(
  "item_failures",
  {
    taskName: text("task_name").notNull(),
    itemId: text("item_id").notNull(),
    batchId: text("batch_id"),
    error: text("error").notNull(),
    createdAt: integer("created_at").notNull(),
    requeuedIn: text("requeued_in"),
  },
  (t) => [
    primaryKey({ columns: [t.taskName, t.itemId] }),
    index("item_failures_batch")
      .on(t.batchId)
      .where(sql`${t.batchId} IS NOT NULL`),
  ],
);

/**
 * Live realtime subscriptions, by scope ("task:<name>", "batch:<id>", "owner:<user>"). Every task
 * transition reads this table in its RETURNING clause, so an event is published exactly when a
 * subscriber registered before the transition committed.
 */
export const realtimeWatches = sqliteTable("realtime_watches", {
  scope: text("scope").primaryKey(),
  until: integer("until").notNull(),
});

/** Single-use, short-lived tickets that let a browser open a WebSocket without an API secret in the URL. */
export const realtimeTickets = sqliteTable(
  "realtime_tickets",
  {
    ticketHash: text("ticket_hash").primaryKey(),
    user: text("user").notNull(),
    roles: text("roles").$type<Json<Role[]>>().notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** The API key that asked for it: each key may hold only so many unredeemed tickets. */
    apiKey: text("api_key").notNull().default(""),
  },
  (t) => [index("realtime_tickets_key").on(t.apiKey, t.expiresAt)],
);

/**
 * Prepared report jobs. A job is a task (method `report:<name>`, `job_id` = the task's name), so its
 * status, timings and error are the task's; this row holds what only a report has. `reusable` marks
 * the one job per (owner, report, filters) that identical requests share: the unique index makes
 * concurrent starts race-free, and a job gives the mark up (CAS) once it errors or goes stale.
 */
export const reportJobs = sqliteTable(
  "report_jobs",
  {
    jobId: text("job_id").primaryKey(),
    report: text("report").notNull(),
    owner: text("owner").notNull(),
    /** The filters after the report's schema parsed them, as JSON with sorted keys. */
    filters: text("filters").$type<Json<Record<string, unknown>>>().notNull(),
    /** SHA-256 of the normalised filters JSON. */
    filtersHash: text("filters_hash").notNull(),
    reusable: integer("reusable", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    /** Set by the handler once the whole result is in R2. */
    r2Key: text("r2_key"),
    /** The columns (JSON) the result was written with, so reading never depends on a later deploy. */
    columns: text("columns").$type<Json<ReportColumn[]>>(),
    rowCount: integer("row_count"),
    /** Compressed size of the result in R2. */
    bytes: integer("bytes"),
    resultAt: integer("result_at"),
    /** After this the cron deletes the result and this row (only once the task has ended). */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [
    uniqueIndex("report_jobs_reuse")
      .on(t.owner, t.report, t.filtersHash)
      .where(sql`${t.reusable} = 1`),
    index("report_jobs_expiry").on(t.expiresAt),
  ],
);

/**
 * Scheduled jobs (Frappe's scheduler_events, and schedules users create through the API). The
 * engine's state lives here: `last_slot` is the latest slot handled (run, missed or skipped), moved
 * forward only by a compare-and-set that also proves which firing won (`last_token`), so a slot is
 * handled exactly once whatever fires twice. Counters are exact: `failed` is kept by a trigger.
 */
export const scheduledJobs = sqliteTable(
  "scheduled_jobs",
  {
    name: text("name").primaryKey(),
    source: text("source", { enum: SCHEDULE_SOURCES }).notNull(),
    owner: text("owner").notNull(),
    /** The owner's roles when the schedule was saved: its runs are enqueued with them. */
    ownerRoles: text("owner_roles").$type<Json<Role[]>>().notNull(),
    description: text("description"),
    method: text("method").notNull(),
    documentType: text("document_type"),
    documentName: text("document_name"),
    documentAction: text("document_action"),
    arguments: text("arguments").$type<Json<Record<string, unknown>>>().notNull().default("{}"),
    queue: text("queue", { enum: QUEUE_NAMES }),
    priority: integer("priority"),
    timeout: integer("timeout"),
    maxRetries: integer("max_retries").notNull().default(0),
    retryDelay: integer("retry_delay").notNull().default(0),
    retryBackoff: text("retry_backoff", { enum: RETRY_BACKOFFS }).notNull().default("fixed"),
    frequency: text("frequency", { enum: FREQUENCIES }).notNull(),
    cron: text("cron"),
    everyS: integer("every_s"),
    timezone: text("timezone").notNull().default("UTC"),
    missed: text("missed", { enum: MISSED_POLICIES }).notNull().default("once"),
    catchUpWindowS: integer("catch_up_window_s").notNull().default(86_400),
    catchUpMax: integer("catch_up_max").notNull().default(100),
    overlap: text("overlap", { enum: OVERLAP_POLICIES }).notNull().default("skip"),
    startAt: integer("start_at"),
    endAt: integer("end_at"),
    maxRuns: integer("max_runs"),
    stopped: integer("stopped", { mode: "boolean" }).notNull().default(false),
    stopNote: text("stop_note"),
    stoppedAt: integer("stopped_at"),
    /** Slots still to skip (`POST …/skip`). */
    skipNext: integer("skip_next").notNull().default(0),
    /** Slots at or before this are history: a new schedule never back-fills. */
    activeSince: integer("active_since").notNull(),
    lastSlot: integer("last_slot"),
    /** The token of the firing that last moved last_slot (a compare-and-set witness). */
    lastToken: text("last_token"),
    lastTask: text("last_task"),
    lastExecution: integer("last_execution"),
    nextSlot: integer("next_slot"),
    /** When the engine must next look: the next slot, or sooner while a run waits in the buffer. */
    nextFireAt: integer("next_fire_at"),
    /** buffer_one: the slot waiting for the live run to end. */
    bufferedSlot: integer("buffered_slot"),
    runs: integer("runs").notNull().default(0),
    missedCount: integer("missed_count").notNull().default(0),
    skippedOverlap: integer("skipped_overlap").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    /** Code schedules: a hash of the definition, to sync only what changed. */
    definitionHash: text("definition_hash"),
    /** Bumped by every write: the engine's compare-and-set reads it, so a firing planned on a stale row changes nothing. */
    version: integer("version").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("scheduled_jobs_source_check", sql`${t.source} IN (${inList(SCHEDULE_SOURCES)})`),
    check("scheduled_jobs_frequency_check", sql`${t.frequency} IN (${inList(FREQUENCIES)})`),
    check("scheduled_jobs_missed_check", sql`${t.missed} IN (${inList(MISSED_POLICIES)})`),
    check("scheduled_jobs_overlap_check", sql`${t.overlap} IN (${inList(OVERLAP_POLICIES)})`),
    index("scheduled_jobs_owner").on(t.owner, t.name),
    // The watchdog's question: which running schedules are overdue.
    index("scheduled_jobs_due")
      .on(t.nextFireAt)
      .where(sql`${t.stopped} = 0 AND ${t.nextFireAt} IS NOT NULL`),
  ],
);

/**
 * The run log: what became of each slot of a schedule. One row per slot (and per manual run);
 * missed slots are one row per stretch with a count, so an outage never writes thousands of rows.
 */
export const scheduleRuns = sqliteTable(
  "schedule_runs",
  {
    schedule: text("schedule").notNull(),
    slot: integer("slot").notNull(),
    /** "slot" for the schedule's own slots; "manual" for `POST …/run`. */
    kind: text("kind", { enum: ["slot", "manual"] }).notNull(),
    outcome: text("outcome", { enum: RUN_OUTCOMES }).notNull(),
    taskName: text("task_name"),
    /** For a stretch of missed slots: how many, and the last one. */
    count: integer("count").notNull().default(1),
    slotUntil: integer("slot_until"),
    at: integer("at").notNull(),
    /** Enqueue time minus the slot (jitter excluded: a `_long` run's delay is its run_at). */
    lagMs: integer("lag_ms"),
    error: text("error"),
  },
  (t) => [
    primaryKey({ columns: [t.schedule, t.slot, t.kind] }),
    check("schedule_runs_outcome_check", sql`${t.outcome} IN (${inList(RUN_OUTCOMES)})`),
  ],
);

/**
 * Remote targets: a Frappe site or an HTTPS endpoint that runs remote methods (`<target>:<path>`).
 * Secrets are stored encrypted (AES-GCM, key from the REMOTE_SECRETS_KEY Worker secret) and never
 * leave the Worker: credentials, and the signing secrets (the current one and, for a grace period
 * after a rotation, the previous one).
 */
export const remoteTargets = sqliteTable(
  "remote_targets",
  {
    name: text("name").primaryKey(),
    kind: text("kind", { enum: ["frappe", "http"] }).notNull(),
    baseUrl: text("base_url").notNull(),
    /** Encrypted JSON: frappe `{ api_key, api_secret }`, http `{ token }`; null: none. */
    credentials: text("credentials"),
    /** Encrypted JSON: `[{ secret, until }]`, newest first; `until` null for the current one. */
    signingSecrets: text("signing_secrets").notNull(),
    signingSecretSetAt: integer("signing_secret_set_at").notNull(),
    /** Method patterns this target runs (`myapp.api.*`), matched against the path after `<target>:`. */
    allowedMethods: text("allowed_methods").$type<Json<string[]>>().notNull(),
    /** Roles that may enqueue the target's methods (System Manager always may). */
    roles: text("roles").$type<Json<Role[]>>().notNull(),
    /** Longest a call may take before it is abandoned (seconds; null: the task's timeout). */
    timeoutS: integer("timeout_s"),
    /** Most bytes of a response that are read. */
    maxResponseBytes: integer("max_response_bytes").notNull().default(1_048_576),
    /** Set when the remote refused our credentials (401/403); cleared by a successful call or test. */
    authFailed: integer("auth_failed", { mode: "boolean" }).notNull().default(false),
    lastError: text("last_error"),
    lastErrorAt: integer("last_error_at"),
    lastOkAt: integer("last_ok_at"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [check("remote_targets_kind_check", sql`${t.kind} IN ('frappe', 'http')`)],
);

/**
 * Which object owns a task: every new task's name ends with its method's route code. `live_until`
 * is kept in the future by an object while it holds live tasks (the minute cron looks at those).
 */
export const methodRoutes = sqliteTable(
  "method_routes",
  {
    code: text("code").primaryKey(),
    method: text("method").notNull(),
    createdAt: integer("created_at").notNull(),
    liveUntil: integer("live_until"),
    /** How many shard objects the method has ever had (a high-water mark; shared/shards.ts). */
    shards: integer("shards").notNull().default(1),
  },
  (t) => [uniqueIndex("method_routes_method").on(t.method)],
);

/** Commits of bulk enqueues that span objects (their tasks are held until released). */
export const bulkCommits = sqliteTable("bulk_commits", {
  token: text("token").primaryKey(),
  batchId: text("batch_id").notNull(),
  createdAt: integer("created_at").notNull(),
});

export type TaskRow = typeof tasks.$inferSelect;
export type NewTaskRow = typeof tasks.$inferInsert;
export type TaskTypeRow = typeof taskTypes.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type BatchRow = typeof batches.$inferSelect;
export type ReportJobRow = typeof reportJobs.$inferSelect;
export type NewReportJobRow = typeof reportJobs.$inferInsert;
export type ScheduleRow = typeof scheduledJobs.$inferSelect;
export type NewScheduleRow = typeof scheduledJobs.$inferInsert;
export type ScheduleRunRow = typeof scheduleRuns.$inferSelect;
export type RemoteTargetRow = typeof remoteTargets.$inferSelect;
export type NewRemoteTargetRow = typeof remoteTargets.$inferInsert;

/** Where alert notices go (migrations/0018): a signed webhook, a Slack-compatible webhook or email. */
export const alertChannels = sqliteTable(
  "alert_channels",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: CHANNEL_KINDS }).notNull(),
    /** The URL, sealed (a Slack URL is itself a credential). */
    urlSealed: text("url_sealed"),
    /** What the console shows of the URL: its origin. */
    urlOrigin: text("url_origin"),
    emailTo: text("email_to"),
    /** The webhook channel's signing secret, sealed. */
    signingSecret: text("signing_secret"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [check("alert_channels_kind_check", sql`${t.kind} IN (${inList(CHANNEL_KINDS)})`)],
);

/** Alert rules: what to watch, the threshold, the window and the channels to tell. */
export const alertRules = sqliteTable(
  "alert_rules",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ALERT_KINDS }).notNull(),
    /** The method, schedule or remote target watched; null = all of them. */
    subject: text("subject"),
    threshold: real("threshold").notNull(),
    windowS: integer("window_s").notNull(),
    minTasks: integer("min_tasks").notNull().default(1),
    channels: text("channels").$type<Json<string[]>>().notNull().default("[]"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    mutedUntil: integer("muted_until"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [check("alert_rules_kind_check", sql`${t.kind} IN (${inList(ALERT_KINDS)})`)],
);

/** Incidents: one row per rule and subject while it fires (the partial unique index), kept once resolved. */
export const alertIncidents = sqliteTable(
  "alert_incidents",
  {
    id: text("id").primaryKey(),
    ruleId: text("rule_id").notNull(),
    subject: text("subject").notNull(),
    state: text("state", { enum: INCIDENT_STATES }).notNull(),
    /** When the evidence starts (e.g. the first failure in the window). */
    startedAt: integer("started_at").notNull(),
    detectedAt: integer("detected_at").notNull(),
    resolvedAt: integer("resolved_at"),
    value: real("value"),
    summary: text("summary").notNull(),
  },
  (t) => [
    check("alert_incidents_state_check", sql`${t.state} IN (${inList(INCIDENT_STATES)})`),
    uniqueIndex("alert_incidents_open")
      .on(t.ruleId, t.subject)
      .where(sql`${t.state} = 'firing'`),
    index("alert_incidents_rule").on(t.ruleId, t.detectedAt),
  ],
);

/** Completion webhook subscriptions: a user's own (or, for a System Manager, anyone's) task and batch ends. */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    /** Created by a System Manager: covers every owner's tasks in its scope, not only the owner's. */
    allOwners: integer("all_owners", { mode: "boolean" }).notNull().default(false),
    scope: text("scope", { enum: SUBSCRIPTION_SCOPES }).notNull(),
    scopeValue: text("scope_value").notNull(),
    events: text("events").$type<Json<WebhookEvent[]>>().notNull(),
    urlSealed: text("url_sealed").notNull(),
    urlOrigin: text("url_origin").notNull(),
    signingSecret: text("signing_secret").notNull(),
    description: text("description"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    check("webhook_subscriptions_scope_check", sql`${t.scope} IN (${inList(SUBSCRIPTION_SCOPES)})`),
    index("webhook_subscriptions_owner").on(t.owner, t.id),
  ],
);

/** Every notice and completion event: the outbox and the delivery log in one row (id = webhook-id). */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    source: text("source", { enum: DELIVERY_SOURCES }).notNull(),
    /** The alert channel or the subscription it goes to. */
    targetId: text("target_id").notNull(),
    /** Who may read it: the subscription's owner (alerts: the platform). */
    owner: text("owner").notNull(),
    eventType: text("event_type").notNull(),
    incidentId: text("incident_id"),
    payload: text("payload").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    lastAttemptAt: integer("last_attempt_at"),
    responseStatus: integer("response_status"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    check("webhook_deliveries_source_check", sql`${t.source} IN (${inList(DELIVERY_SOURCES)})`),
    check("webhook_deliveries_status_check", sql`${t.status} IN (${inList(DELIVERY_STATUSES)})`),
    index("webhook_deliveries_due")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_target").on(t.targetId, t.createdAt),
  ],
);

export type AlertChannelRow = typeof alertChannels.$inferSelect;
export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AlertIncidentRow = typeof alertIncidents.$inferSelect;
export type WebhookSubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
