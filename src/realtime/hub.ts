// The realtime hub (one Durable Object per task owner, plus ALL_HUB for System Managers watching every
// task): holds WebSocket subscribers (hibernation API), sends each a snapshot then every event of its
// scope, and lets HTTP long polls wait for a task to end. Keyed by owner because batch and own-task
// subscriptions span methods.
import { DurableObject } from "cloudflare:workers";
import { getDb } from "../db/client";
import { describeError, log } from "../shared/log";
import { ALL_SCOPE } from "../shared/realtime-scopes";
import { count } from "../shared/metrics";
import type { TaskEvent } from "../events/events";
import { isEnded } from "../shared/states";
import { buildSnapshot, type Snapshot } from "./snapshot";
import { WATCH_TTL_MS, dropWatch, registerWatch } from "../db/watches";
import { methodOfTask } from "../db/routes";
import { readTask } from "../live/read";
import { objectOfTaskName } from "../shared/shards";

/** What the Worker tells the hub about a subscriber it has authenticated. */
export interface Subscriber {
  scope: string;
  user: string;
  admin: boolean;
  /**
   * A task scope's snapshot comes from the task's object, which may be ahead of the log that
   * events wait for: events at or below the snapshot's seq are old news and are not sent.
   */
  seenSeq?: number;
}

const REFRESH_MS = WATCH_TTL_MS / 2;

/** The subscriber a socket was accepted for (its attachment, which fetch() serialised; typed any). */
function subscriberOf(ws: WebSocket): Subscriber | null {
  return ws.deserializeAttachment() as Subscriber | null;
}

type View = "admin" | "user";

/**
 * Each socket carries two tags: its scope, and its scope with the view it may see. Sending then
 * needs no per-socket lookup: an event is serialised once per view and written to every socket
 * of each (scope, view) tag.
 */
const viewTag = (scope: string, view: View) => `${scope}|${view}`;

/** The scopes an event concerns (ALL_SCOPE has sockets only in ALL_HUB). */
function scopesOf(event: TaskEvent): string[] {
  const scopes = [`task:${event.name}`, `owner:${event.owner}`, ALL_SCOPE];
  if (event.batch_id !== null) scopes.push(`batch:${event.batch_id}`);
  return scopes;
}

/** The event as a given subscriber may see it: stacks only for System Managers. */
function view(event: TaskEvent, admin: boolean): TaskEvent {
  return admin ? event : { ...event, error_detail: null };
}

function isFinal(event: TaskEvent): boolean {
  return isEnded({ status: event.status, wakeAt: event.retry_at === null ? null : Date.parse(event.retry_at) });
}

export class RealtimeHub extends DurableObject<Env> {
  /** Sockets still waiting for their snapshot, with the events held back meanwhile. */
  private readonly pending = new Map<WebSocket, TaskEvent[]>();
  /** Long polls waiting for a task to end. */
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Watches this instance has written, by scope → expiry (so subscribers of one scope share one write). */
  private readonly watched = new Map<string, number>();
  /** Long polls this user's API keys hold open: key → poll id → when the hold lapses on its own. */
  private readonly polls = new Map<string, Map<string, number>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** Accepts a WebSocket the Worker has authorised (scope and user in the request headers). */
  override async fetch(request: Request): Promise<Response> {
    count({ doRequests: 1 });
    const header = request.headers.get("x-switchyard-subscriber");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || header === null) {
      return new Response("expected an authorised WebSocket upgrade", { status: 400 });
    }
    // Written by our own Worker (src/api/realtime.ts) after it authorised the subscriber.
    const subscriber = JSON.parse(header) as Subscriber;
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [
      subscriber.scope,
      viewTag(subscriber.scope, subscriber.admin ? "admin" : "user"),
    ]);
    server.serializeAttachment(subscriber);
    this.pending.set(server, []);
    try {
      const now = Date.now();
      // Watch first, then read: every transition after the watch is published to us, and every
      // transition before it is in the snapshot.
      await this.ensureWatch(subscriber.scope, now + WATCH_TTL_MS);
      await this.armRefresh();
      if (subscriber.scope.startsWith("task:"))
        await this.tellObject(subscriber.scope.slice("task:".length), now + WATCH_TTL_MS);
      const snapshot = await buildSnapshot(this.env, subscriber.scope, now);
      this.sendSnapshot(server, subscriber, snapshot);
    } catch (error) {
      log.error("subscription failed", { scope: subscriber.scope, ...describeError(error) });
      server.close(1011, "subscription failed");
    } finally {
      this.pending.delete(server);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Delivers events to the subscribers whose scope covers them and wakes long polls. */
  publish(events: TaskEvent[]): void {
    count({ doRequests: 1 });
    for (const event of events) {
      const text: Record<View, string | null> = { admin: null, user: null };
      for (const scope of scopesOf(event)) {
        for (const v of ["admin", "user"] as const) {
          for (const ws of this.ctx.getWebSockets(viewTag(scope, v))) {
            const held = this.pending.get(ws);
            if (held) {
              held.push(event);
              continue;
            }
            if (scope === `task:${event.name}` && (subscriberOf(ws)?.seenSeq ?? 0) >= event.seq) continue;
            text[v] ??= JSON.stringify({ type: "async_task_status", data: view(event, v === "admin") });
            this.sendText(ws, text[v]);
          }
        }
      }
      if (isFinal(event)) for (const wake of this.waiters.get(event.name) ?? []) wake();
    }
  }

  /**
   * Resolves true as soon as the task has ended (Finished, Canceled, or Failed with no retry
   * scheduled), false after `timeoutMs`. Event-driven: it watches the task, then reads it once
   * (from its object).
   */
  async waitForEnd(name: string, timeoutMs: number): Promise<boolean> {
    count({ doRequests: 1 });
    const scope = `task:${name}`;
    await this.ensureWatch(scope, Date.now() + timeoutMs + 5_000);
    let resolve: (ended: boolean) => void = () => {};
    const ended = new Promise<boolean>((r) => (resolve = r));
    const wake = () => resolve(true);
    const set = this.waiters.get(name) ?? new Set();
    set.add(wake);
    this.waiters.set(name, set);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    try {
      // Watch first, then look: an end after the watch arrives as its event; one before is seen here.
      const task = await readTask(this.env, name);
      if (!task || isEnded(task)) resolve(true);
      return await ended;
    } finally {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0) this.waiters.delete(name);
      if (!this.waiters.has(name) && this.ctx.getWebSockets(scope).length === 0) await this.dropScope(scope);
    }
  }

  /**
   * Takes one of the `max` long-poll slots of an API key (this hub is its user's), or returns
   * false when all are held. A hold lapses at `until` by itself, so a Worker that vanished without
   * releasing it cannot leak the slot.
   */
  holdLongPoll(key: string, id: string, until: number, max: number): boolean {
    count({ doRequests: 1 });
    const now = Date.now();
    const held = this.polls.get(key) ?? new Map<string, number>();
    for (const [other, lapses] of held) if (lapses <= now) held.delete(other);
    if (held.size >= max) return false;
    held.set(id, until);
    this.polls.set(key, held);
    return true;
  }

  /** Gives a long-poll slot back. */
  releaseLongPoll(key: string, id: string): void {
    count({ doRequests: 1 });
    const held = this.polls.get(key);
    held?.delete(id);
    if (held?.size === 0) this.polls.delete(key);
  }

  /** "resync" asks for a fresh snapshot; anything else is ignored ("ping" is auto-answered). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message !== "resync") return;
    const subscriber = subscriberOf(ws);
    if (!subscriber) return;
    this.sendSnapshot(ws, subscriber, await buildSnapshot(this.env, subscriber.scope, Date.now()));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    await this.forget(ws);
    // Reply to the close frame. 1005 (no code) and 1006 (connection lost) are reported but may
    // not be sent, so those are answered with a plain 1000.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.forget(ws);
  }

  /** Keeps the watches of connected scopes from expiring. */
  override async alarm(): Promise<void> {
    const scopes = new Set(
      this.ctx
        .getWebSockets()
        .map((ws) => subscriberOf(ws)?.scope)
        .filter((scope): scope is string => scope !== undefined),
    );
    const until = Date.now() + WATCH_TTL_MS;
    await Promise.all([...scopes].map((scope) => this.ensureWatch(scope, until, true)));
    if (scopes.size > 0) {
      await this.ctx.storage.setAlarm(Date.now() + REFRESH_MS);
      count({ alarmsSet: 1 });
    }
  }

  /**
   * Makes sure the scope's watch lasts until `until`. Subscribers of one scope share the write:
   * only a watch this instance has not written yet, or that would end too early, is written.
   */
  private async ensureWatch(scope: string, until: number, force = false): Promise<void> {
    const known = this.watched.get(scope) ?? 0;
    if (!force && known >= until - REFRESH_MS) return;
    await registerWatch(getDb(this.env), scope, until);
    this.watched.set(scope, Math.max(known, until));
  }

  /** Tells the task's object that someone watches it, so its progress events go out at once. */
  private async tellObject(name: string, until: number): Promise<void> {
    try {
      const method = await methodOfTask(getDb(this.env), name);
      if (method !== null) await this.env.METHOD_TASKS.getByName(objectOfTaskName(method, name)).watched(name, until);
    } catch (error) {
      log.warn("could not tell the task's object about its watcher", { task: name, ...describeError(error) });
    }
  }

  private async dropScope(scope: string): Promise<void> {
    this.watched.delete(scope);
    await dropWatch(getDb(this.env), scope);
  }

  private async armRefresh(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + REFRESH_MS);
      count({ alarmsSet: 1 });
    }
  }

  /** Drops the scope's watch when its last subscriber leaves. */
  private async forget(ws: WebSocket): Promise<void> {
    const subscriber = subscriberOf(ws);
    if (!subscriber) return;
    const others = this.ctx.getWebSockets(subscriber.scope).filter((other) => other !== ws);
    if (others.length === 0 && !this.waiters.has(subscriber.scope.slice("task:".length))) {
      await this.dropScope(subscriber.scope);
    }
  }

  private sendSnapshot(ws: WebSocket, subscriber: Subscriber, snapshot: Snapshot): void {
    const seen = new Map(snapshot.tasks.map((t) => [t.name, t.seq]));
    this.sendText(
      ws,
      JSON.stringify({
        type: "snapshot",
        data: { ...snapshot, tasks: snapshot.tasks.map((t) => view(t, subscriber.admin)) },
      }),
    );
    // A task scope remembers its snapshot's seq (see Subscriber.seenSeq).
    const [only] = snapshot.tasks;
    if (subscriber.scope.startsWith("task:") && only !== undefined) {
      ws.serializeAttachment({ ...subscriber, seenSeq: Math.max(subscriber.seenSeq ?? 0, only.seq) });
    }
    // Events that raced the snapshot go out after it, unless the snapshot already had them.
    for (const event of this.pending.get(ws) ?? []) {
      if ((seen.get(event.name) ?? 0) < event.seq) {
        this.sendText(ws, JSON.stringify({ type: "async_task_status", data: view(event, subscriber.admin) }));
      }
    }
    this.pending.set(ws, []);
  }

  private sendText(ws: WebSocket, text: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    try {
      ws.send(text);
    } catch (error) {
      log.warn("websocket send failed", describeError(error));
    }
  }
}
