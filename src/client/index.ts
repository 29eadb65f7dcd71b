// The Switchyard TypeScript client, for browsers and Node ≥ 22 alike (fetch + WebSocket only):
// enqueue and manage tasks, and watch a task or a batch live — the show_progress /
// show_batch_progress of this platform, with reconnects that resync from the server's snapshot.
// Only erasable TypeScript syntax, so Node can run it directly (node --experimental-strip-types).
import type { z } from "@hono/zod-openapi";
import type { Run as RunSchema, Schedule as ScheduleSchema, Task as TaskSchema } from "../api/schemas";
import type { ScheduleSpec as ScheduleSpecSchema } from "../schedules/spec";
import type { TaskSpec as TaskSpecSchema } from "../tasks/spec";
import type { TaskEvent } from "../events/event-types";

export type Task = z.output<typeof TaskSchema>;
export type TaskSpec = z.input<typeof TaskSpecSchema>;
export type Schedule = z.output<typeof ScheduleSchema>;
export type ScheduleSpec = z.input<typeof ScheduleSpecSchema>;
export type ScheduleRun = z.output<typeof RunSchema>;
export type { TaskEvent };

/** A batch's progress as events carry it. */
export interface BatchProgress {
  done: number;
  total: number;
}

export interface BulkEnqueueRequest {
  tasks: TaskSpec[];
  batch_id?: string;
  failure_policy?: "continue" | "pause_rest";
  defaults?: Partial<TaskSpec>;
}

export interface BulkEnqueueResult {
  batch_id: string;
  enqueued: number;
  tasks: { name: string; method: string; batch_order: number }[];
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

export interface WatchOptions {
  /** Largest delay between reconnect attempts (default 10 s). */
  maxBackoffMs?: number;
  /** Called when the connection drops and when it is re-established. */
  onConnection?: (state: "open" | "closed") => void;
}

/** A running watch: `done` settles when the watched thing ends; `stop()` ends it early. */
export interface Watch<T> {
  done: Promise<T>;
  stop(): void;
}

/** An API error: the HTTP status plus the server's `{ error: { code, message, details } }`. */
export class SwitchyardError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details: unknown) {
    super(message);
    this.name = "SwitchyardError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

interface Snapshot {
  scope: string;
  tasks: TaskEvent[];
  batch: { total: number; done: number } | null;
}

type ServerMessage = { type: "snapshot"; data: Snapshot } | { type: "async_task_status"; data: TaskEvent };

/** True when a task will not change again without a manual retry. */
export function isFinal(event: Pick<TaskEvent, "status" | "retry_at">): boolean {
  return event.status === "Finished" || event.status === "Canceled" || (event.status === "Failed" && !event.retry_at);
}

const schedulePath = (name: string) => `/api/v1/scheduled-jobs/${encodeURIComponent(name)}`;

/** Creates a client bound to one server and API key. */
export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const Socket = options.WebSocket ?? globalThis.WebSocket;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.apiKey === undefined ? { "x-switchyard-csrf": "1" } : { authorization: `token ${options.apiKey}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(options.apiKey === undefined ? { credentials: "same-origin" as const } : {}),
    });
    const text = await response.text();
    const json: unknown = text === "" ? null : JSON.parse(text);
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

  /**
   * Opens a subscription and keeps it open until `stop()` or until `onMessage` returns true.
   * Every (re)connection starts with a snapshot, so nothing that matters is missed across drops.
   */
  function subscribe<T>(
    query: string,
    precheck: () => Promise<unknown>,
    onMessage: (message: ServerMessage, finish: (value: T) => void) => void,
    watch: WatchOptions,
  ): Watch<T> {
    let stopped = false;
    let socket: WebSocket | null = null;
    let attempt = 0;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    const stopHeartbeat = () => {
      if (heartbeat !== undefined) clearInterval(heartbeat);
      heartbeat = undefined;
    };
    let resolveDone: (value: T) => void = () => {};
    let rejectDone: (error: unknown) => void = () => {};
    const done = new Promise<T>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const finish = (value: T) => {
      stopped = true;
      stopHeartbeat();
      socket?.close(1000, "done");
      resolveDone(value);
    };

    const connect = async (): Promise<void> => {
      if (stopped) return;
      let ticket: { url: string };
      try {
        // A refused WebSocket upgrade looks like a network error to the client, so ask over HTTP
        // first: a task or batch that is missing (or not ours) is a 404 here.
        await precheck();
        ticket = await request<{ url: string }>("POST", "/api/v1/realtime/tickets");
      } catch (error) {
        // A rejected key or a missing task will not get better by retrying.
        if (error instanceof SwitchyardError && error.status < 500) {
          stopped = true;
          rejectDone(error);
          return;
        }
        scheduleReconnect();
        return;
      }
      const url = `${base.replace(/^http/, "ws")}${ticket.url}${query}`;
      const ws = new Socket(url);
      socket = ws;
      ws.addEventListener("open", () => {
        attempt = 0;
        watch.onConnection?.("open");
        stopHeartbeat();
        // Answered by the server's auto-response without waking anything.
        heartbeat = setInterval(() => ws.readyState === 1 && ws.send("ping"), 30_000);
      });
      ws.addEventListener("message", (event) => {
        if (typeof event.data !== "string" || event.data === "pong") return;
        onMessage(JSON.parse(event.data) as ServerMessage, finish);
      });
      ws.addEventListener("close", () => {
        stopHeartbeat();
        if (stopped) return;
        watch.onConnection?.("closed");
        scheduleReconnect();
      });
    };

    const scheduleReconnect = () => {
      if (stopped) return;
      const max = watch.maxBackoffMs ?? 10_000;
      const delay = Math.min(max, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      setTimeout(() => void connect(), delay);
    };

    void connect();
    return {
      done,
      stop() {
        stopped = true;
        stopHeartbeat();
        socket?.close(1000, "stopped");
      },
    };
  }

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

  return {
    /** Any API call: JSON in and out; errors throw SwitchyardError with the server's envelope. */
    request,
    /** Enqueues one task (201), or returns the live task with the same dedupe_key (200). */
    enqueue: (spec: TaskSpec) => request<Task>("POST", "/api/v1/tasks", spec),
    /** Enqueues up to 1,000 tasks as one batch, all or nothing. */
    bulkEnqueue: (body: BulkEnqueueRequest) => request<BulkEnqueueResult>("POST", "/api/v1/tasks/bulk", body),
    getTask: (name: string) => request<Task>("GET", `/api/v1/tasks/${encodeURIComponent(name)}`),
    getBatch: (batchId: string) =>
      request<BatchProgress & Record<string, unknown>>("GET", `/api/v1/batches/${encodeURIComponent(batchId)}`),
    cancel: (name: string, message?: string) =>
      request<Task>("POST", `/api/v1/tasks/${encodeURIComponent(name)}/cancel`, { message }),
    retry: (name: string, now = false) =>
      request<Task>("POST", `/api/v1/tasks/${encodeURIComponent(name)}/retry`, { now }),

    /** Scheduled jobs visible to the caller (own; all for a System Manager), a page at a time. */
    listSchedules: (cursor?: string) =>
      request<{ data: Schedule[]; next_cursor: string | null }>(
        "GET",
        `/api/v1/scheduled-jobs${cursor === undefined ? "" : `?cursor=${encodeURIComponent(cursor)}`}`,
      ),
    /** Creates a scheduled job for a method the caller may enqueue. */
    createSchedule: (spec: ScheduleSpec) => request<Schedule>("POST", "/api/v1/scheduled-jobs", spec),
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

    /**
     * Calls `onEvent` with the task's current state, then on every transition and progress
     * report, until it ends (`done` resolves with the final event).
     */
    watchTask(name: string, onEvent: (event: TaskEvent) => void, watch: WatchOptions = {}): Watch<TaskEvent> {
      const deliver = dedupe(onEvent);
      return subscribe<TaskEvent>(
        `&task=${encodeURIComponent(name)}`,
        () => request("GET", `/api/v1/tasks/${encodeURIComponent(name)}`),
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
      return subscribe<BatchProgress>(
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
      const deliver = dedupe(onEvent);
      return subscribe<never>(
        "&all=1",
        async () => {
          const me = await request<{ roles: string[] }>("GET", "/api/v1/session");
          if (!me.roles.includes("System Manager")) {
            throw new SwitchyardError(403, "forbidden", "only a System Manager can watch every user's tasks", null);
          }
        },
        (message) => {
          if (message.type === "snapshot") watch.onSnapshot?.(message.data.tasks);
          const events = message.type === "snapshot" ? message.data.tasks : [message.data];
          for (const event of events) deliver(event);
        },
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
      const deliver = dedupe(onEvent);
      return subscribe<never>(
        "",
        () => request("GET", "/api/v1/session"),
        (message) => {
          if (message.type === "snapshot") watch.onSnapshot?.(message.data.tasks);
          const events = message.type === "snapshot" ? message.data.tasks : [message.data];
          for (const event of events) deliver(event);
        },
        watch,
      );
    },
  };
}

export type SwitchyardClient = ReturnType<typeof createClient>;
