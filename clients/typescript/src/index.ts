// The Switchyard TypeScript client, for browsers and Node ≥ 22 alike (fetch + WebSocket only):
// enqueue and manage tasks, and watch a task or a batch live — the show_progress /
// show_batch_progress of this platform, with reconnects that resync from the server's snapshot.
// Only erasable TypeScript syntax, so Node can run it directly (node --experimental-strip-types).
import { SwitchyardError } from "./errors";
import type {
  BatchSummary,
  Batch,
  BulkEnqueueRequest,
  BulkEnqueueResult,
  Page,
  ReportJob,
  ReportJobStart,
  Schedule,
  SchedulePreview,
  ScheduleRun,
  ScheduleSpec,
  Session,
  Task,
  TaskCounts,
  TaskEvent,
  TaskFilter,
  TaskSpec,
  TaskType,
  TaskTypeChange,
  FlowUsage,
  Waiting,
} from "./types";
import { subscribe, type ServerMessage, type Watch, type WatchOptions } from "./watch";

export { SwitchyardError, isTransient } from "./errors";
export { verifyWebhook, WebhookVerificationError, type SwitchyardWebhook } from "./webhooks";
export type * from "./types";
export type { ConnectionState, Watch, WatchOptions } from "./watch";

/** The actions that act on many tasks at once (POST /api/v1/tasks/actions). */
export type BulkActionName = "cancel" | "retry" | "pause" | "resume" | "run-now";

/** A batch's progress as events carry it. */
export interface BatchProgress {
  done: number;
  total: number;
}

export interface ClientOptions {
  /** e.g. "http://localhost:8787" */
  baseUrl: string;
  /**
   * "<key>:<secret>". Omit it in a browser page signed in to the console: requests then ride on the
   * session cookie and carry the CSRF header the server requires for cookie-authenticated changes.
   */
  apiKey?: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

/** True when a task will not change again without a manual retry. */
export function isFinal(event: Pick<TaskEvent, "status" | "retry_at">): boolean {
  return event.status === "Finished" || event.status === "Canceled" || (event.status === "Failed" && !event.retry_at);
}

/** A query string from a task filter (`arg` repeats), with extra parameters; "" when empty. */
export function filterQuery(filter: TaskFilter, extra: Record<string, string | number> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra })) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const v of value as unknown[]) search.append(key, String(v));
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/**
 * W3C trace context for an enqueue: the task joins the caller's trace (its `traceparent`, and
 * `tracestate`), which it carries to its handler, its remote calls and its log lines.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

const traceHeaders = (trace: TraceContext | undefined): Record<string, string> =>
  trace === undefined
    ? {}
    : { traceparent: trace.traceparent, ...(trace.tracestate === undefined ? {} : { tracestate: trace.tracestate }) };

const taskPath = (name: string) => `/api/v1/tasks/${encodeURIComponent(name)}`;
const schedulePath = (name: string) => `/api/v1/scheduled-jobs/${encodeURIComponent(name)}`;

/** Creates a client bound to one server and API key (or, in a console page, its session). */
export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const Socket = options.WebSocket ?? globalThis.WebSocket;

  async function request<T>(method: string, path: string, body?: unknown, extra?: Record<string, string>): Promise<T> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.apiKey === undefined ? { "x-switchyard-csrf": "1" } : { authorization: `token ${options.apiKey}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...extra,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(options.apiKey === undefined ? { credentials: "same-origin" as const } : {}),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      // Not our JSON (a proxy's error page): the status speaks for it.
      if (response.ok) throw new SwitchyardError(response.status, "invalid_response", "the answer is not JSON", text);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
      throw new SwitchyardError(
        response.status,
        error?.code ?? "http_error",
        error?.message ?? `HTTP ${response.status}`,
        error?.details ?? null,
      );
    }
    return json as T;
  }

  const transport = {
    Socket,
    socketUrl: async (query: string) => {
      const ticket = await request<{ url: string }>("POST", "/api/v1/realtime/tickets");
      return `${base.replace(/^http/, "ws")}${ticket.url}${query}`;
    },
  };
  const open = <T>(
    query: string,
    precheck: () => Promise<unknown>,
    onMessage: (message: ServerMessage, finish: (value: T) => void) => void,
    watch: WatchOptions,
  ) => subscribe<T>(transport, query, precheck, onMessage, watch);

  /** Delivers each task's events once, in seq order (snapshot entries included). */
  function dedupe(onEvent: (event: TaskEvent) => void) {
    const seen = new Map<string, number>();
    return (event: TaskEvent): boolean => {
      if ((seen.get(event.name) ?? 0) >= event.seq) return false;
      seen.set(event.name, event.seq);
      onEvent(event);
      return true;
    };
  }

  /** Follows a scope of many tasks (own, or every user's) until `stop()`. */
  function watchMany(
    query: string,
    precheck: () => Promise<unknown>,
    onEvent: (event: TaskEvent) => void,
    watch: WatchOptions & { onSnapshot?: (events: TaskEvent[]) => void },
  ): Watch<never> {
    const deliver = dedupe(onEvent);
    return open<never>(
      query,
      precheck,
      (message) => {
        if (message.type === "snapshot") watch.onSnapshot?.(message.data.tasks);
        const events = message.type === "snapshot" ? message.data.tasks : [message.data];
        for (const event of events) deliver(event);
      },
      watch,
    );
  }

  return {
    /** Any API call: JSON in and out; errors throw SwitchyardError with the server's envelope. */
    request,
    /** Who the key (or session) belongs to, and its roles. */
    session: () => request<Session>("GET", "/api/v1/session"),

    /** Enqueues one task (201), or returns the live task with the same dedupe_key (200). */
    enqueue: (spec: TaskSpec, trace?: TraceContext) =>
      request<Task>("POST", "/api/v1/tasks", spec, traceHeaders(trace)),
    /**
     * Runs a task again: a new task with the same method (or document action), arguments and
     * options, linked to the first by `rerun_of`.
     */
    runAgain: (task: Task) =>
      request<Task>("POST", "/api/v1/tasks", {
        ...(task.document_type === null
          ? { method: task.method }
          : {
              document_type: task.document_type,
              document_name: task.document_name,
              document_action: task.document_action,
            }),
        job_name: task.job_name,
        queue: task.queue,
        timeout: task.timeout,
        priority: task.priority,
        max_retries: task.max_retries,
        retry_delay: task.retry_delay,
        retry_backoff: task.retry_backoff,
        arguments: task.arguments,
        rerun_of: task.name,
      }),
    /** Enqueues up to 1,000 tasks as one batch, all or nothing. */
    bulkEnqueue: (body: BulkEnqueueRequest) => request<BulkEnqueueResult>("POST", "/api/v1/tasks/bulk", body),
    getTask: (name: string) => request<Task>("GET", taskPath(name)),
    /** Why a task has not started: the scheduler's own answer. */
    waiting: (name: string) => request<Waiting>("GET", `${taskPath(name)}/waiting`),
    /** A page of tasks matching `filter` (own tasks; System Managers see all), newest first. */
    listTasks: (filter: TaskFilter = {}, page: { limit?: number; cursor?: string } = {}) =>
      request<Page<Task>>("GET", `/api/v1/tasks${filterQuery(filter, page)}`),
    /**
     * How many tasks `filter` matches per status, each counted up to `cap` (default 1,000); with
     * `action`, only those a bulk action on the filter would act on.
     */
    countTasks: (filter: TaskFilter = {}, options: { cap?: number; action?: BulkActionName } = {}) =>
      request<TaskCounts>("GET", `/api/v1/tasks/counts${filterQuery(filter, options)}`),
    getBatch: (batchId: string) => request<Batch>("GET", `/api/v1/batches/${encodeURIComponent(batchId)}`),
    listBatches: (cursor?: string) =>
      request<Page<BatchSummary>>("GET", `/api/v1/batches${filterQuery({}, cursor === undefined ? {} : { cursor })}`),
    cancel: (name: string, message?: string) => request<Task>("POST", `${taskPath(name)}/cancel`, { message }),
    retry: (name: string, now = false) => request<Task>("POST", `${taskPath(name)}/retry`, { now }),

    /** Starts a prepared report (or gets the identical recent one; `fresh: true` never reuses a finished one). */
    startReport: (report: string, body: ReportJobStart = {}) =>
      request<ReportJob>("POST", `/api/v1/reports/${encodeURIComponent(report)}/jobs`, body),
    getReportJob: (jobId: string) => request<ReportJob>("GET", `/api/v1/report-jobs/${encodeURIComponent(jobId)}`),

    /** Scheduled jobs visible to the caller (own; all for a System Manager), a page at a time. */
    listSchedules: (cursor?: string) =>
      request<Page<Schedule>>(
        "GET",
        `/api/v1/scheduled-jobs${cursor === undefined ? "" : `?cursor=${encodeURIComponent(cursor)}`}`,
      ),
    /** Creates a scheduled job for a method the caller may enqueue. */
    createSchedule: (spec: ScheduleSpec) => request<Schedule>("POST", "/api/v1/scheduled-jobs", spec),
    /**
     * What a spec would do — its timing in words and next 10 runs — checked like a save (of the
     * schedule `name` when it edits one), saving nothing.
     */
    previewSchedule: (spec: ScheduleSpec, name?: string) =>
      request<SchedulePreview>(
        "POST",
        name === undefined ? "/api/v1/scheduled-jobs/preview" : `${schedulePath(name)}/preview`,
        spec,
      ),
    /** A scheduled job with its next 10 fire times in its own time zone. */
    getSchedule: (name: string) => request<Schedule>("GET", schedulePath(name)),
    /** Replaces a scheduled job's definition (counters and run log are kept). */
    updateSchedule: (name: string, spec: ScheduleSpec) => request<Schedule>("PUT", schedulePath(name), spec),
    deleteSchedule: (name: string) => request<null>("DELETE", schedulePath(name)),
    /** The run log: what became of each slot, newest first. */
    scheduleRuns: (name: string, cursor?: number) =>
      request<{ data: ScheduleRun[]; next_cursor: number | null }>(
        "GET",
        `${schedulePath(name)}/runs${cursor === undefined ? "" : `?cursor=${cursor}`}`,
      ),
    /** Runs the schedule once now, without moving its cadence. */
    runSchedule: (name: string) => request<{ task: string; schedule: Schedule }>("POST", `${schedulePath(name)}/run`),
    stopSchedule: (name: string, note?: string) => request<Schedule>("POST", `${schedulePath(name)}/stop`, { note }),
    startSchedule: (name: string) => request<Schedule>("POST", `${schedulePath(name)}/start`, {}),
    /** Skips the schedule's next `count` slots. */
    skipSchedule: (name: string, count: number) => request<Schedule>("POST", `${schedulePath(name)}/skip`, { count }),

    /** A method's task type: limit, priority and flow control (404 when it has none). */
    getTaskType: (method: string) => request<TaskType>("GET", `/api/v1/task-types/${encodeURIComponent(method)}`),
    /**
     * Creates or updates a method's task type (System Manager), e.g. its flow control:
     * `setTaskType("invoices.sync", { flow_control: { throttle: { limit: 20, period: "1s", burst: 5 } } })`.
     * `flow_control: null` goes back to what the method's code declares (docs/flow-control.md).
     */
    setTaskType: (method: string, change: TaskTypeChange) =>
      request<TaskType>("PUT", `/api/v1/task-types/${encodeURIComponent(method)}`, change),
    /** Flow control in use now: running per key, throttles' next starts, waiting per fairness key. */
    flowUsage: (method: string) => request<FlowUsage>("GET", `/api/v1/task-types/${encodeURIComponent(method)}/flow`),

    /**
     * Calls `onEvent` with the task's current state, then on every transition and progress
     * report, until it ends (`done` resolves with the final event).
     */
    watchTask(name: string, onEvent: (event: TaskEvent) => void, watch: WatchOptions = {}): Watch<TaskEvent> {
      const deliver = dedupe(onEvent);
      return open<TaskEvent>(
        `&task=${encodeURIComponent(name)}`,
        () => request("GET", taskPath(name)),
        (message, finish) => {
          const events = message.type === "snapshot" ? message.data.tasks : [message.data];
          for (const event of events) {
            if (event.name !== name) continue;
            deliver(event);
            if (isFinal(event)) finish(event);
          }
        },
        watch,
      );
    },

    /**
     * Calls `onEvent` for every event of the batch's tasks (across methods) with the batch's
     * server-authoritative progress, until done == total (`done` resolves with the progress).
     * After a (re)connect the snapshot's counters are reported with `event` null.
     */
    watchBatch(
      batchId: string,
      onEvent: (event: TaskEvent | null, progress: BatchProgress) => void,
      watch: WatchOptions = {},
    ): Watch<BatchProgress> {
      let progress: BatchProgress = { done: 0, total: 0 };
      const deliver = dedupe((event) => {
        if (event.batch_done !== null && event.batch_total !== null) {
          // Counters only grow within a connection; keep the freshest.
          if (event.batch_done >= progress.done || event.batch_total !== progress.total) {
            progress = { done: event.batch_done, total: event.batch_total };
          }
        }
        onEvent(event, progress);
      });
      return open<BatchProgress>(
        `&batch=${encodeURIComponent(batchId)}`,
        () => request("GET", `/api/v1/batches/${encodeURIComponent(batchId)}`),
        (message, finish) => {
          if (message.type === "snapshot") {
            if (message.data.batch) progress = { done: message.data.batch.done, total: message.data.batch.total };
            onEvent(null, progress);
            for (const event of message.data.tasks) deliver(event);
          } else {
            deliver(message.data);
          }
          if (progress.total > 0 && progress.done >= progress.total) finish(progress);
        },
        watch,
      );
    },

    /**
     * Calls `onEvent` for every event of every user's tasks until `stop()` — System Managers only
     * (`done` rejects with a 403 SwitchyardError for anyone else). After each (re)connect
     * `onSnapshot` gets the newest live tasks (up to 1,000) the server sent first.
     */
    watchAllTasks(
      onEvent: (event: TaskEvent) => void,
      watch: WatchOptions & { onSnapshot?: (events: TaskEvent[]) => void } = {},
    ): Watch<never> {
      return watchMany(
        "&all=1",
        async () => {
          const me = await request<Session>("GET", "/api/v1/session");
          if (!me.roles.includes("System Manager")) {
            throw new SwitchyardError(403, "forbidden", "only a System Manager can watch every user's tasks", null);
          }
        },
        onEvent,
        watch,
      );
    },

    /**
     * Calls `onEvent` for every event of the caller's own tasks (new ones included) until `stop()`.
     * After each (re)connect `onSnapshot` gets the live tasks the server sent first, so a view can
     * resync whatever it missed while disconnected.
     */
    watchOwnTasks(
      onEvent: (event: TaskEvent) => void,
      watch: WatchOptions & { onSnapshot?: (events: TaskEvent[]) => void } = {},
    ): Watch<never> {
      return watchMany("", () => request("GET", "/api/v1/session"), onEvent, watch);
    },
  };
}

export type SwitchyardClient = ReturnType<typeof createClient>;
