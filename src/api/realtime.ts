// Realtime: POST /api/v1/realtime/tickets (authenticated) and the WebSocket at GET /api/v1/realtime.
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { HTTPException } from "hono/http-exception";
import { getDb } from "../db/client";
import { batches } from "../db/schema";
import { readTask } from "../live/read";
import type { Subscriber } from "../realtime/hub";
import { issueTicket, redeemTicket } from "../realtime/tickets";
import { config } from "../shared/config";
import { forbidden, invalid, notFound, rateLimited, unauthorized } from "../shared/errors";
import { ALL_HUB, ALL_SCOPE } from "../shared/realtime-scopes";
import { canSee, isSystemManager } from "../shared/user";
import { ErrorEnvelope, errorResponses, json, router } from "./router";

const Ticket = z.object({ ticket: z.string(), expires_at: z.string(), url: z.string() }).openapi("RealtimeTicket");

/** Ticket issuing (behind the API-key middleware). */
export const realtimeTicketsApi = router().openapi(
  createRoute({
    method: "post",
    path: "/",
    summary: "Issue a single-use WebSocket ticket (valid 60 s)",
    responses: {
      201: json(Ticket, "Ticket"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const max = config(c.env).maxTicketsPerKey;
    const issued = await issueTicket(getDb(c.env), c.get("user"), Date.now(), max);
    if (!issued) {
      throw rateLimited(`this API key already holds ${max} unused tickets; use them or wait for them to expire`, 60);
    }
    const { ticket, expiresAt } = issued;
    return c.json(
      { ticket, expires_at: new Date(expiresAt).toISOString(), url: `/api/v1/realtime?ticket=${ticket}` },
      201,
    );
  },
);

const Query = z.object({
  ticket: z.string().min(1).max(100),
  task: z.string().min(1).max(64).optional(),
  batch: z.string().min(1).max(100).optional(),
  all: z.enum(["1", "true"]).optional().openapi({ description: "every user's tasks (System Managers only)" }),
});

/**
 * The WebSocket endpoint (ticket auth, not API keys: browsers cannot set headers on WebSockets).
 * `task=` or `batch=` narrows the subscription; `all=1` widens it to every user's tasks (System
 * Managers only, 403 for anyone else); none of them means all of the caller's own tasks. A task
 * or batch the caller may not see is a 404 exactly like a missing one.
 */
export const realtimeSocketApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Subscribe over WebSocket: ?ticket=…&task=… | &batch=… | &all=1 (System Managers) | (own tasks)",
    request: { query: Query },
    responses: {
      101: { description: "Switching protocols" },
      ...errorResponses,
      426: json(ErrorEnvelope, "Not a WebSocket upgrade"),
    },
  }),
  async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new HTTPException(426, { message: "this endpoint only accepts WebSocket upgrades" });
    }
    const q = c.req.valid("query");
    if ([q.task, q.batch, q.all].filter((v) => v !== undefined).length > 1) {
      throw invalid("validation_failed", "subscribe to a task, a batch or all tasks, not several");
    }
    const db = getDb(c.env);
    const user = await redeemTicket(db, q.ticket, Date.now());
    if (!user) throw unauthorized("invalid, used or expired ticket");

    let scope = `owner:${user.name}`;
    let hub = user.name;
    if (q.all !== undefined) {
      if (!isSystemManager(user)) throw forbidden("only a System Manager can watch every user's tasks");
      scope = ALL_SCOPE;
      hub = ALL_HUB;
    } else if (q.task !== undefined) {
      const task = await readTask(c.env, q.task);
      if (!task || !canSee(user, task.owner)) throw notFound(`task ${q.task}`);
      scope = `task:${task.name}`;
      hub = task.owner;
    } else if (q.batch !== undefined) {
      const [batch] = await db.select().from(batches).where(eq(batches.batchId, q.batch));
      if (!batch || !canSee(user, batch.owner)) throw notFound(`batch ${q.batch}`);
      scope = `batch:${batch.batchId}`;
      hub = batch.owner;
    }
    const subscriber: Subscriber = { scope, user: user.name, admin: isSystemManager(user) };
    const headers = new Headers({ upgrade: "websocket", "x-switchyard-subscriber": JSON.stringify(subscriber) });
    return c.env.REALTIME.getByName(hub).fetch(new Request(c.req.url, { headers }));
  },
);
