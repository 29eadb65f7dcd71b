// GET /api/v1/stats (System Manager): what the console's Overview charts beyond /api/v1/ops —
// per-method limits, p50/p95 durations and the last 24 hours of throughput and failures by hour.
import { createRoute } from "@hono/zod-openapi";
import { Stats } from "../contract/ops";
import { getDb } from "../db/client";
import { taskTypes } from "../db/schema";
import { hourlySeries, methodDurations } from "../db/stats";
import { errorResponses, json, requireRole, router } from "./router";

const WINDOW_MS = 24 * 3_600_000;

export const statsApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Per-method limits and durations, and hourly throughput over the last 24 h (System Manager)",
    middleware: [requireRole("System Manager")] as const,
    responses: { 200: json(Stats, "Statistics"), ...errorResponses },
  }),
  async (c) => {
    const db = getDb(c.env);
    const now = Date.now();
    const since = now - WINDOW_MS;
    const [durations, hourly, types] = await Promise.all([
      methodDurations(db, since),
      hourlySeries(db, since, now),
      db.select().from(taskTypes),
    ]);
    const byMethod = new Map(durations.map((d) => [d.method, d]));
    const typeOf = new Map(types.map((t) => [t.method, t]));
    const methods = [...new Set([...byMethod.keys(), ...typeOf.keys()])].sort().map((method) => {
      const d = byMethod.get(method);
      const t = typeOf.get(method);
      return {
        method,
        concurrency_limit: t?.concurrencyLimit ?? 0,
        priority: t?.priority ?? 0,
        finished_24h: d?.finished ?? 0,
        failed_24h: d?.failed ?? 0,
        p50_s: d?.p50_s ?? null,
        p95_s: d?.p95_s ?? null,
      };
    });
    return c.json(
      {
        time: new Date(now).toISOString(),
        since: new Date(since).toISOString(),
        methods,
        hourly: hourly.map((h) => ({ ...h, hour: new Date(h.hour).toISOString() })),
      },
      200,
    );
  },
);
