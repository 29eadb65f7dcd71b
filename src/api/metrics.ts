// GET /api/v1/metrics (System Manager or Metrics Reader): the platform's metrics in the Prometheus
// text format for a scrape, or as JSON for the console's Overview — the same figures either way
// (metrics/collect.ts). Parameters: `family` (repeatable) keeps only those families, `method`
// (repeatable) asks only those methods' objects, `format` is prometheus (default) or json. Anything
// else is a 400 naming the parameter.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { allMethods } from "../db/methods";
import { collectMetrics } from "../metrics/collect";
import { exposition, FAMILY_NAMES } from "../metrics/exposition";
import { invalid } from "../shared/errors";
import { errorResponses, requireRole, router } from "./router";

const PARAMETERS = new Set(["family", "method", "format"]);
const FORMATS = new Set(["prometheus", "json"]);
const FAMILY_SET = new Set(FAMILY_NAMES);

/** The Prometheus text format's content type (what Prometheus' scraper accepts as text). */
const TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const Query = z.object({
  family: z
    .string()
    .optional()
    .meta({ description: `a metric family to keep (repeatable): ${FAMILY_NAMES.join(", ")}` }),
  method: z.string().optional().meta({ description: "a method to ask (repeatable); default: every known method" }),
  format: z.string().optional().meta({ description: "prometheus (default) or json" }),
});

const bad = (field: string, message: string) =>
  invalid(`invalid_${field}`, `${field}: ${message}`, [{ path: field, message }]);

export const metricsApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Metrics in the Prometheus text format, or JSON (System Manager or Metrics Reader)",
    middleware: [requireRole("Metrics Reader")] as const,
    request: { query: Query },
    responses: {
      200: {
        description: "Prometheus text exposition format 0.0.4 (or the same figures as JSON with format=json)",
        content: { "text/plain": { schema: z.string() }, "application/json": { schema: z.object({}).passthrough() } },
      },
      ...errorResponses,
    },
  }),
  async (c) => {
    const params = new URL(c.req.url).searchParams;
    for (const key of params.keys()) {
      if (!PARAMETERS.has(key))
        throw bad("parameter", `unknown parameter ${key} (known: ${[...PARAMETERS].join(", ")})`);
    }
    const families = params.getAll("family");
    for (const family of families) {
      if (!FAMILY_SET.has(family)) throw bad("family", `no metric family ${family}`);
    }
    const formats = params.getAll("format");
    const format = formats.at(-1) ?? "prometheus";
    if (formats.length > 1 || !FORMATS.has(format)) throw bad("format", "must be prometheus or json, once");
    const methods = params.getAll("method");
    if (methods.length > 0) {
      const known = new Set(await allMethods(getDb(c.env)));
      for (const method of methods)
        if (!known.has(method)) throw bad("method", `no method ${method} has tasks or a task type`);
    }
    const metrics = await collectMetrics(c.env, Date.now(), methods.length > 0 ? methods : undefined);
    c.header("Cache-Control", "no-store");
    if (format === "json") return c.json(metrics, 200);
    const text = exposition(metrics, families.length > 0 ? new Set(families) : undefined);
    return c.text(text, 200, { "Content-Type": TEXT_TYPE });
  },
);
