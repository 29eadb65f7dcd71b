// Shapes of the API responses the console reads (the server's OpenAPI document is the reference).
import type { Schedule, ScheduleRun, ScheduleSpec, Task, TaskEvent } from "../../src/client/index";

export type { Schedule, ScheduleRun, ScheduleSpec, Task, TaskEvent };
export type TaskStatus = Task["status"];

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Me {
  user: string;
  roles: string[];
  key: string;
  expires_at: string | null;
}

export interface Batch {
  batch_id: string;
  owner: string;
  total: number;
  finished: number;
  failed: number;
  canceled: number;
  done: number;
  failure_policy: string;
  created_at: string;
  statuses?: Record<string, number>;
}

export interface BulkResult {
  action: string;
  done: number;
  skipped: number;
  truncated: boolean;
  results: { name: string; outcome: "done" | "skipped"; status: string | null; reason: string | null }[];
}

export interface MethodInfo {
  method: string;
  description: string | null;
  queue: string | null;
  timeout: number | null;
  roles: string[];
  can_enqueue: boolean;
  arguments_schema: unknown;
  /** Remote methods: the target that runs them; `method` is then a pattern (`*` = any run). */
  remote_target: string | null;
}

export interface TaskType {
  method: string;
  priority: number;
  concurrency_limit: number;
  is_standard: boolean;
}

export interface OpsMethod {
  method: string;
  pending: number;
  delayed: number;
  paused: number;
  queued: number;
  started: number;
  failed_last_hour: number;
  oldest_pending_age_s: number | null;
}

export interface OverdueSchedule {
  name: string;
  owner: string;
  due_at: string;
  late_s: number;
}

export interface Ops {
  time: string;
  dispatcher: { enabled: boolean };
  last_cron_at: string | null;
  methods: OpsMethod[];
  overdue_schedules: OverdueSchedule[];
  remote_targets_auth_failed: { name: string; last_error: string | null; last_error_at: string | null }[];
}

export interface Stats {
  methods: {
    method: string;
    concurrency_limit: number;
    priority: number;
    finished_24h: number;
    failed_24h: number;
    p50_s: number | null;
    p95_s: number | null;
  }[];
  hourly: { hour: string; finished: number; failed: number; canceled: number }[];
}

export interface Dispatcher {
  enabled: boolean;
  updated_at: string | null;
}

export interface ReportColumn {
  fieldname: string;
  label: string;
  fieldtype: string;
}

export interface ReportInfo {
  name: string;
  description: string | null;
  roles: string[];
  can_run: boolean;
  filters_schema: unknown;
  columns: ReportColumn[];
}

export interface ReportJob {
  job_id: string;
  report: string;
  owner: string;
  filters: unknown;
  status: "Queued" | "Started" | "Completed" | "Error";
  task_status: string | null;
  progress: { count?: number; total?: number; description?: string } | null;
  row_count: number | null;
  error: string | null;
  created_at: string | null;
  ended_at: string | null;
  time_taken: number | null;
}

export interface ApiKey {
  key: string;
  user: string;
  roles: string[];
  label: string | null;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

/** GET /api/v1/tasks/{name}/waiting. */
export interface Waiting {
  reason:
    | "ready"
    | "dispatcher_suspended"
    | "concurrency_limit"
    | "delayed"
    | "paused"
    | "retry_scheduled"
    | "queued_behind"
    | "not_waiting";
  message: string;
  until: string | null;
  ahead: number | null;
  limit: number | null;
  running: number | null;
}

/** GET /api/v1/remote-targets/{name}: a target's definition and health, never a secret. */
export interface RemoteTarget {
  name: string;
  kind: "frappe" | "http";
  base_url: string;
  has_credentials: boolean;
  allowed_methods: string[];
  methods: string[];
  roles: string[];
  timeout: number | null;
  max_response_bytes: number;
  signing_secret_set_at: string | null;
  previous_signing_secret_until: string | null;
  auth_failed: boolean;
  last_error: string | null;
  last_error_at: string | null;
  last_ok_at: string | null;
  created_by: string;
  created_at: string | null;
  updated_at: string | null;
}

/** The answer that created a target or rotated its secret: the generated secret, this once. */
export type RemoteTargetWithSecret = RemoteTarget & { signing_secret?: string };

/** PUT /api/v1/remote-targets/{name}. */
export interface RemoteTargetSpec {
  kind: "frappe" | "http";
  base_url: string;
  credentials?: { api_key: string; api_secret: string } | { token: string } | null;
  signing_secret?: string;
  allowed_methods: string[];
  roles?: string[];
  timeout?: number | null;
  max_response_bytes?: number;
}

/** POST /api/v1/remote-targets/{name}/test. */
export interface RemoteTargetTest {
  ok: boolean;
  status: number | null;
  user: string | null;
  message: string;
}
