// GET /api/v1/health (no auth) and GET /api/v1/ops (System Manager): is it up, and what is waiting where.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { methodSummaries } from "../db/ops";
import { LAST_CRON_KEY, getDispatcher, getSetting } from "../db/settings";
import { snapshot } from "../lib/metrics";
import { isSystemManager, type AppEnv } from "./context";
import { forbidden, validationHook } from "./errors";
import { errorResponses } from "./schemas";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const healthApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Liveness and D1 reachability (no auth)",
    responses: {
      200: {
        description: "Healthy",
        content: { "application/json": { schema: z.object({ status: z.literal("ok"), time: z.string() }) } },
      },
      503: { description: "D1 unreachable", content: { "application/json": { schema: z.unknown() } } },
    },
  }),
  async (c) => {
    try {
      await getDb(c.env).run(sql`SELECT 1`);
    } catch {
      return c.json({ status: "unavailable", time: new Date().toISOString(), failing: "d1" }, 503);
    }
    return c.json({ status: "ok" as const, time: new Date().toISOString() }, 200);
  },
);

export const opsApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Operations summary (System Manager)",
      responses: {
        200: { description: "Summary", content: { "application/json": { schema: z.unknown() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      if (!isSystemManager(c.get("user"))) throw forbidden("only a System Manager can read the ops summary");
      const db = getDb(c.env);
      const now = Date.now();
      const [methods, dispatcher, lastCron] = await Promise.all([
        methodSummaries(db, now - 3_600_000),
        getDispatcher(db),
        getSetting(db, LAST_CRON_KEY),
      ]);
      return c.json(
        {
          time: iso(now),
          dispatcher: { enabled: dispatcher.enabled },
          last_cron_at: lastCron ? iso(Number(lastCron.value)) : null,
          methods: methods.map((m) => ({
            ...m,
            oldest_pending_at: iso(m.oldest_pending_at),
            oldest_pending_age_s: m.oldest_pending_at === null ? null : Math.round((now - m.oldest_pending_at) / 1000),
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      summary:
        "Operation counters of this isolate and of the named methods' schedulers (System Manager; for benchmarks)",
      request: { query: z.object({ method: z.union([z.string(), z.array(z.string())]).optional() }) },
      responses: {
        200: { description: "Counters", content: { "application/json": { schema: z.unknown() } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      if (!isSystemManager(c.get("user"))) throw forbidden("only a System Manager can read metrics");
      const methods = c.req.queries("method") ?? [];
      const schedulers = await Promise.all(methods.map((m) => c.env.SCHEDULER.getByName(m).metrics()));
      return c.json({ worker: snapshot(), schedulers }, 200);
    },
  );
