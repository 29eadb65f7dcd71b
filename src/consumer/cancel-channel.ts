// A consumer's cancel channels: attempts that are still running a moment after they started are
// named to their method's object over a WebSocket (up to ten per socket, the runtime's tag limit).
// The object answers at once if one is already over, and pushes every later cancel (or lease
// expiry) the moment it happens. The socket hibernates on the object's side, so a long run costs
// nothing per second; if it drops, it is opened again while its attempts still run.
import { describeError, log } from "../shared/log";

const PER_SOCKET = 10;
const REOPEN_MS = 250;

interface Listener {
  name: string;
  attempt: number;
  onOver: () => void;
  timer: ReturnType<typeof setTimeout> | null;
  socket: WebSocket | null;
}

export class CancelChannels {
  private readonly listeners = new Map<string, Listener>();
  private waiting: Listener[] = [];
  private opening = false;
  private closed = false;

  constructor(
    private readonly env: Env,
    private readonly method: string,
    private readonly afterMs: number,
  ) {}

  /** Calls `onOver` when the object says this attempt is over; `stop()` once it has ended here. */
  listen(attempt: { name: string; attempt: number }, onOver: () => void): { stop(): void } {
    const listener: Listener = { ...attempt, onOver, timer: null, socket: null };
    this.listeners.set(attempt.name, listener);
    listener.timer = setTimeout(() => {
      listener.timer = null;
      this.enqueue(listener);
    }, this.afterMs);
    return { stop: () => this.stop(listener) };
  }

  /** Stops every listener and closes every socket (the consumer's batch is done). */
  close(): void {
    this.closed = true;
    for (const listener of [...this.listeners.values()]) this.stop(listener);
  }

  private stop(listener: Listener): void {
    if (this.listeners.get(listener.name) !== listener) return;
    this.listeners.delete(listener.name);
    if (listener.timer !== null) clearTimeout(listener.timer);
    this.waiting = this.waiting.filter((l) => l !== listener);
    const socket = listener.socket;
    if (socket && ![...this.listeners.values()].some((l) => l.socket === socket)) {
      try {
        socket.close(1000, "attempts ended");
      } catch {
        // already closed
      }
    }
  }

  private enqueue(listener: Listener): void {
    if (this.closed || this.listeners.get(listener.name) !== listener) return;
    this.waiting.push(listener);
    if (!this.opening) void this.openWaiting();
  }

  private async openWaiting(): Promise<void> {
    this.opening = true;
    try {
      while (this.waiting.length > 0 && !this.closed) {
        const group = this.waiting.splice(0, PER_SOCKET).filter((l) => this.listeners.get(l.name) === l);
        if (group.length > 0) await this.open(group);
      }
    } finally {
      this.opening = false;
    }
  }

  private async open(group: Listener[]): Promise<void> {
    let socket: WebSocket | null;
    try {
      const response = await this.env.METHOD_TASKS.getByName(this.method).fetch("https://object/cancel-channel", {
        headers: {
          upgrade: "websocket",
          "x-switchyard-attempts": JSON.stringify(group.map((l) => ({ name: l.name, attempt: l.attempt }))),
        },
      });
      socket = response.webSocket;
      if (!socket) throw new Error(`cancel channel refused (${response.status})`);
    } catch (error) {
      log.warn("could not open a cancel channel; trying again", { method: this.method, ...describeError(error) });
      setTimeout(() => group.forEach((l) => this.enqueue(l)), REOPEN_MS);
      return;
    }
    socket.accept();
    // Attempts that ended while the socket was opening (or a batch closed meanwhile) no longer
    // listen: a socket none of them still needs is closed at once, not left open.
    const current = group.filter((l) => !this.closed && this.listeners.get(l.name) === l);
    if (current.length === 0) {
      socket.close(1000, "attempts ended");
      return;
    }
    group = current;
    for (const l of group) l.socket = socket;
    socket.addEventListener("message", (event) => {
      const over = parseOver(event.data);
      for (const name of over) {
        const listener = this.listeners.get(name);
        if (listener?.socket === socket) listener.onOver();
      }
    });
    const reopen = () => {
      // The object restarted (a deploy) or the socket dropped: name the attempts again.
      for (const l of group) {
        if (this.listeners.get(l.name) === l && l.socket === socket) {
          l.socket = null;
          setTimeout(() => this.enqueue(l), REOPEN_MS);
        }
      }
    };
    socket.addEventListener("close", reopen);
    socket.addEventListener("error", reopen);
  }
}

function parseOver(data: unknown): string[] {
  if (typeof data !== "string") return [];
  try {
    const parsed = JSON.parse(data) as { over?: unknown };
    return Array.isArray(parsed.over) ? parsed.over.filter((n): n is string => typeof n === "string") : [];
  } catch {
    return [];
  }
}
