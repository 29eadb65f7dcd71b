// The object's side of the consumers' cancel channels: a hibernatable WebSocket per group of running
// attempts (tagged with their task names), told at once when one of them is over here — canceled,
// or failed by its lease — and, when it connects, about any that already are.
import type { Live } from "./live";

/** One attempt a consumer runs and wants to hear about. */
interface Listener {
  name: string;
  attempt: number;
}

const running = (live: Live, l: Listener) => {
  const a = live.inFlight.get(l.name);
  return a !== undefined && a.attempt === l.attempt && a.status === "Started";
};

/** Accepts a consumer's channel (the attempts it names in `x-switchyard-attempts`). */
export function acceptChannel(ctx: DurableObjectState, live: Live, request: Request): Response {
  const header = request.headers.get("x-switchyard-attempts");
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || header === null) {
    return new Response("expected a cancel-channel WebSocket upgrade", { status: 400 });
  }
  const listeners = (JSON.parse(header) as Listener[]).slice(0, 10);
  const { 0: client, 1: server } = new WebSocketPair();
  ctx.acceptWebSocket(
    server,
    listeners.map((l) => l.name),
  );
  server.serializeAttachment(listeners);
  const over = listeners.filter((l) => !running(live, l)).map((l) => l.name);
  if (over.length > 0) server.send(JSON.stringify({ over }));
  return new Response(null, { status: 101, webSocket: client });
}

/** Tells the consumers running these tasks that their attempts are over. */
export function tellOver(ctx: DurableObjectState, live: Live, names: readonly string[]): void {
  for (const name of names) {
    for (const ws of ctx.getWebSockets(name)) {
      const listeners = (ws.deserializeAttachment() as Listener[] | null) ?? [];
      if (!listeners.some((l) => l.name === name && !running(live, l))) continue;
      try {
        ws.send(JSON.stringify({ over: [name] }));
      } catch {
        // The consumer is gone; its attempt's outcome will be discarded.
      }
    }
  }
}
