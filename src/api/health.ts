// GET /api/v1/health (no auth) and GET /api/v1/ops (System Manager): is it up, and what is waiting
// where; GET /api/v1/ops/metrics (operation counters) only where METRICS is "on" (the benchmark).
import { createRoute, z } from "@hono/zod-openapi";
import { OpsSummary } from "../contract/ops";
import { sql } from "drizzle-orm";
import { getDb } from "../db/client";
import { authFailedTargets } from "../db/remote-targets";
import { overdueSchedules } from "../db/schedules";
import { LAST_CRON_KEY, getDispatcher, getSetting } from "../db/settings";
import { OVERDUE_AFTER_MS } from "../schedules/serialize";
import { snapshot } from "../shared/metrics";
import { eachObject } from "../live/client";
import { methodSummaries } from "../tasks/ops";
import { errorResponses, json, requireRole, router } from "./router";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const healthApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Liveness and D1 reachability (no auth)",
    responses: {
      200: json(z.object({ status: z.literal("ok"), time: z.string() }), "Healthy"),
      503: json(
        z.object({ status: z.literal("unavailable"), time: z.string(), failing: z.string() }),
        "D1 unreachable",
      ),
    },
  }),
  async (c) => {
    try {
      await getDb(c.env).run(sql`SELECT 1`);
    } catch {
      return c.json({ status: "unavailable" as const, time: new Date().toISOString(), failing: "d1" }, 503);
    }
    return c.json({ status: "ok" as const, time: new Date().toISOString() }, 200);
  },
);

export const opsApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Operations summary (System Manager)",
    middleware: [requireRole("System Manager")] as const,
    responses: { 200: json(OpsSummary, "Summary"), ...errorResponses },
  }),
  async (c) => {
    const db = getDb(c.env);
    const now = Date.now();
    const [methods, dispatcher, lastCron, overdue, authFailed] = await Promise.all([
      methodSummaries(c.env, now, now - 3_600_000),
      getDispatcher(db),
      getSetting(db, LAST_CRON_KEY),
      overdueSchedules(db, now, OVERDUE_AFTER_MS),
      authFailedTargets(db),
    ]);
    return c.json(
      {
        time: new Date(now).toISOString(),
        dispatcher: { enabled: dispatcher.enabled },
        last_cron_at: lastCron ? iso(Number(lastCron.value)) : null,
        methods: methods.map((m) => ({
          ...m,
          oldest_pending_at: iso(m.oldest_pending_at),
          oldest_pending_age_s: m.oldest_pending_at === null ? null : Math.round((now - m.oldest_pending_at) / 1000),
        })),
        overdue_schedules: overdue.map((s) => ({
          name: s.name,
          owner: s.owner,
          due_at: new Date(s.nextFireAt ?? now).toISOString(),
          late_s: Math.round((now - (s.nextFireAt ?? now)) / 1000),
        })),
        remote_targets_auth_failed: authFailed.map((t) => ({
          name: t.name,
          last_error: t.lastError,
          last_error_at: iso(t.lastErrorAt),
        })),
      },
      200,
    );
  },
);

/**
 * The benchmark's counters: this isolate's and the named methods' objects'. Mounted only where
 * METRICS is "on", so production carries neither the route nor the counting.
 */
export const metricsApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Operation counters of this isolate and of the named methods' objects (System Manager; METRICS=on)",
    middleware: [requireRole("System Manager")] as const,
    request: { query: z.object({ method: z.union([z.string(), z.array(z.string())]).optional() }) },
    responses: { 200: json(z.unknown(), "Counters"), ...errorResponses },
  }),
  async (c) => {
    const methods = c.req.queries("method") ?? [];
    const objects = (await Promise.all(methods.map((m) => eachObject(c.env, m, (o) => o.metrics())))).flat();
    return c.json({ worker: snapshot(), objects }, 200);
  },
);
