// One realtime subscription kept open: a ticket over HTTP, then the WebSocket; reconnects with
// backoff and resyncs from the snapshot each connection starts with; reports whether a socket is
// connected right now, so a page can say so and poll meanwhile.
import { isTransient } from "./errors";
import type { TaskEvent } from "./types";

/** What a (re)connection starts with. */
export interface Snapshot {
  scope: string;
  tasks: TaskEvent[];
  batch: { total: number; done: number } | null;
}

export type ServerMessage = { type: "snapshot"; data: Snapshot } | { type: "async_task_status"; data: TaskEvent };

/**
 * Whether a watch has a connected socket: "open" once the server's first message (the snapshot)
 * arrived over it — a proxy that accepts the upgrade but forwards nothing never counts as open —
 * or "closed" (refused, dropped, or never opened).
 */
export type ConnectionState = "open" | "closed";

export interface WatchOptions {
  /** Largest delay between reconnect attempts (default 10 s). */
  maxBackoffMs?: number;
  /**
   * Called when a socket is connected (its first message arrived), and when there is none: it
   * dropped, could not open (a proxy that strips WebSockets), or its ticket was refused — with the
   * reason. The watch keeps trying meanwhile.
   */
  onConnection?: (state: ConnectionState, reason?: string) => void;
}

/** A running watch: `done` settles when the watched thing ends; `stop()` ends it early. */
export interface Watch<T> {
  done: Promise<T>;
  stop(): void;
}

/** How the watch reaches the server. */
export interface Transport {
  /** The WebSocket URL (with a fresh ticket) for `query`; throws like any API call. */
  socketUrl: (query: string) => Promise<string>;
  Socket: typeof WebSocket;
}

/** A ping every this often; a socket that has not answered the previous one by then is dead. */
const HEARTBEAT_MS = 30_000;

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Opens a subscription and keeps it open until `stop()` or until `onMessage` calls `finish`. Every
 * (re)connection starts with a snapshot, so nothing that matters is missed across drops. `precheck`
 * runs before each ticket: a refused WebSocket upgrade looks like a network error to a browser, so a
 * task or batch that is missing (or not ours) is asked over HTTP, where it is a 404.
 */
export function subscribe<T>(
  transport: Transport,
  query: string,
  precheck: () => Promise<unknown>,
  onMessage: (message: ServerMessage, finish: (value: T) => void) => void,
  watch: WatchOptions,
): Watch<T> {
  let stopped = false;
  let socket: WebSocket | null = null;
  let attempt = 0;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
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
  const closed = (reason: string) => {
    if (!stopped) watch.onConnection?.("closed", reason);
  };

  const scheduleReconnect = () => {
    if (stopped) return;
    const max = watch.maxBackoffMs ?? 10_000;
    const delay = Math.min(max, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt++;
    retry = setTimeout(() => void connect(), delay);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    if (typeof transport.Socket !== "function") {
      // No retry can help: this runtime has no WebSocket (Node before 22) and none was passed in.
      stopped = true;
      rejectDone(
        new TypeError(
          "this runtime has no WebSocket: use Node.js 22 or newer, or pass one in createClient({ WebSocket })",
        ),
      );
      return;
    }
    let url: string;
    try {
      await precheck();
      url = await transport.socketUrl(query);
    } catch (error) {
      if (!isTransient(error)) {
        stopped = true;
        rejectDone(error);
        return;
      }
      closed(`realtime tickets are refused: ${reasonOf(error)}`);
      scheduleReconnect();
      return;
    }
    if (stopped) return;
    let ws: WebSocket;
    try {
      ws = new transport.Socket(url);
    } catch (error) {
      closed(`the WebSocket could not be opened: ${reasonOf(error)}`);
      scheduleReconnect();
      return;
    }
    socket = ws;
    let answered = true;
    let connected = false;
    ws.addEventListener("open", () => {
      stopHeartbeat();
      // Answered by the server's auto-response without waking anything; no answer since the last
      // ping means the connection died without a close (a sleeping laptop, a proxy's idle cut).
      heartbeat = setInterval(() => {
        if (!answered) {
          ws.close(4000, "no answer to ping");
          return;
        }
        answered = false;
        if (ws.readyState === 1) ws.send("ping");
      }, HEARTBEAT_MS);
    });
    ws.addEventListener("message", (event) => {
      answered = true;
      if (!connected) {
        connected = true;
        attempt = 0;
        watch.onConnection?.("open");
      }
      if (typeof event.data !== "string" || event.data === "pong") return;
      onMessage(JSON.parse(event.data) as ServerMessage, finish);
    });
    ws.addEventListener("close", (event) => {
      stopHeartbeat();
      if (stopped || socket !== ws) return;
      socket = null;
      closed(`the WebSocket closed${event.code ? ` (${event.code})` : ""}`);
      scheduleReconnect();
    });
  };

  void connect();
  return {
    done,
    stop() {
      stopped = true;
      stopHeartbeat();
      if (retry !== undefined) clearTimeout(retry);
      socket?.close(1000, "stopped");
    },
  };
}
