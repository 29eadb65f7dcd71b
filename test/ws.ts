// A real WebSocket client for tests: ticket from the API, upgrade through the Worker, message log.
import { exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { ADMIN, call } from "./helpers";

export interface Message {
  type: "snapshot" | "async_task_status";
  data: any;
}

export interface TestSocket {
  messages: Message[];
  /** Waits until a message satisfies `match`; returns it. */
  next(match: (m: Message) => boolean, timeout?: number): Promise<Message>;
  /** Task events received so far, optionally for one task. */
  events(task?: string): any[];
  close(): void;
}

/** Which tasks a subscription covers: one task, one batch, every user's (`all`), or by default one's own. */
export interface Scope {
  task?: string;
  batch?: string;
  all?: boolean;
}

/** Opens a subscription (`?task=`, `?batch=`, `?all=1`, or own tasks) as the key's user. */
export async function subscribe(scope: Scope = {}, key = ADMIN): Promise<TestSocket> {
  const response = await connect(scope, key);
  if (response.status !== 101) throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
  const ws = response.webSocket;
  if (!ws) throw new Error("no websocket");
  ws.accept();
  const messages: Message[] = [];
  ws.addEventListener("message", (event) => {
    messages.push(JSON.parse(event.data as string) as Message);
  });
  return {
    messages,
    async next(match, timeout = 15_000) {
      let found: Message | undefined;
      await vi.waitUntil(() => (found = messages.find(match)) !== undefined, { timeout, interval: 10 });
      if (!found) throw new Error("unreachable");
      return found;
    },
    events(task) {
      return messages
        .filter((m) => m.type === "async_task_status" && (!task || m.data.name === task))
        .map((m) => m.data);
    },
    close() {
      ws.close(1000, "done");
    },
  };
}

/** The raw upgrade response (for refusal tests). */
export async function connect(scope: Scope, key = ADMIN, ticket?: string): Promise<Response> {
  let t = ticket;
  if (t === undefined) {
    const res = await call("/api/v1/realtime/tickets", { method: "POST", key });
    expect(res.status).toBe(201);
    t = res.body.ticket as string;
  }
  const query = new URLSearchParams({ ticket: t });
  if (scope.task) query.set("task", scope.task);
  if (scope.batch) query.set("batch", scope.batch);
  if (scope.all) query.set("all", "1");
  return exports.default.fetch(
    new Request(`http://switchyard.test/api/v1/realtime?${query.toString()}`, { headers: { upgrade: "websocket" } }),
  );
}
