// Builds the HTTP app: request ids and headers, CORS, body limits, authentication, the /api/v1
// resources, the Frappe-compatible paths, the OpenAPI document and the one error handler.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { except } from "hono/combine";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { ConfigError, config } from "../shared/config";
import { log } from "../shared/log";
import { count } from "../shared/metrics";
import { tooLarge } from "../shared/errors";
import { alertsApi } from "./alerts";
import { apiKeysApi } from "./api-keys";
import { batchListApi } from "./batch-list";
import { batchesApi } from "./batches";
import { callbacksApi } from "./callbacks";
import { bulkApi } from "./bulk";
import type { AppEnv } from "./context";
import { dispatcherApi } from "./dispatcher";
import { docsApi } from "./docs";
import { errorBody, frappeErrorBody, handleError, validationHook } from "./errors";
import { documentToggle, frappeApi } from "./frappe";
import { demoApi } from "./demo";
import { healthApi, metricsApi, opsApi } from "./health";
import { metricsApi as taskMetricsApi } from "./metrics";
import { methodsApi } from "./methods";
import { realtimeSocketApi, realtimeTicketsApi } from "./realtime";
import { documentLongPolling, reportLongPollingApi } from "./report-long-polling";
import { remoteTargetsApi } from "./remote-targets";
import { reportJobListApi } from "./report-job-list";
import { reportJobsApi, reportsApi } from "./reports";
import { schedulePreviewApi } from "./schedule-preview";
import { scheduledJobsApi } from "./scheduled-jobs";
import { json, requireUser } from "./router";
import { sessionApi, sessionPublicApi } from "./session";
import { statsApi } from "./stats";
import { taskCountsApi } from "./task-counts";
import { taskTypesApi } from "./task-types";
import { tasksApi } from "./tasks";
import { webhooksApi } from "./webhooks";

const VERSION = "0.1.0";
const MAX_BODY_BYTES = 1024 * 1024;
/** Bulk enqueue carries up to 1,000 task specs. */
const MAX_BULK_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Our own request id, and the security headers, on every response. A client can send any cf-ray
 * header, so it is never echoed (errors log a well-formed one beside our id). The configuration
 * is checked first, so an invalid var is a clear error from the first request on.
 */
const stamp = createMiddleware<AppEnv>(async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set("requestId", requestId);
  config(c.env);
  await next();
  if (c.res.status === 101) return; // a WebSocket upgrade's headers cannot change
  c.header("X-Request-Id", requestId);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
});

/** CORS for the origins in CORS_ORIGINS only; with none configured, no CORS headers at all. */
const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const origins = config(c.env).corsOrigins;
  if (origins.length === 0) return next();
  return cors({
    origin: (origin) => (origins.includes(origin) ? origin : null),
    allowHeaders: ["Authorization", "Content-Type"],
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "Location"],
    maxAge: 600,
  })(c, next);
});

/** A remote site's callback for a task attempt (authorised by its callback token instead). */
const isCallback = (c: { req: { method: string; path: string } }) =>
  c.req.method === "POST" && /^\/api\/v1\/tasks\/[^/]+\/(?:progress|complete|fail)$/.test(c.req.path);

const limit = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge("payload_too_large", `request body exceeds ${maxSize} bytes`);
    },
  });

const Banner = z.object({
  service: z.literal("switchyard"),
  version: z.string(),
  docs: z.string(),
  health: z.string(),
});

/**
 * The complete Worker HTTP app for this configuration: GET /api/v1/ops/metrics is registered only
 * where METRICS is "on" (the benchmark), /api/v1/demo only where DEMO_METHODS is "on".
 */
export function buildApp(options: { metrics: boolean; demo: boolean }) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", stamp);
  app.use("/api/*", corsFromConfig);

  // Power BI's "test connection" calls the base URL: it answers without credentials.
  app.openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Service banner (no auth)",
      responses: { 200: json(Banner, "Banner") },
    }),
    (c) =>
      c.json(
        { service: "switchyard" as const, version: VERSION, docs: "/api/v1/openapi.json", health: "/api/v1/health" },
        200,
      ),
  );

  app.use("/api/v1/tasks/bulk", limit(MAX_BULK_BODY_BYTES));
  app.use("/api/*", except("/api/v1/tasks/bulk", limit(MAX_BODY_BYTES)));
  app.route("/api/v1/health", healthApi);
  app.doc31("/api/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Switchyard", version: VERSION, description: "Managed async tasks on Cloudflare" },
    security: [{ token: [] }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "token", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description:
      "`token <key>:<secret>` (also `Bearer <key>:<secret>` or HTTP Basic; `?api_key=<key>:<secret>` on the Power BI report read paths only)",
  });
  documentToggle(app.openAPIRegistry);
  documentLongPolling(app.openAPIRegistry);

  // The WebSocket endpoint authenticates with single-use tickets instead of API keys.
  app.route("/api/v1/realtime", realtimeSocketApi);
  app.openAPIRegistry.registerComponent("securitySchemes", "callbackToken", {
    type: "http",
    scheme: "bearer",
    description: "The callback token a remote attempt was called with (its X-Switchyard-Callback-Token header)",
  });
  // Remote sites call back with the attempt's callback token, not an API key.
  app.route("/api/v1/tasks", callbacksApi);
  // Console: sign-in and logout work without a valid session; the API docs page is public like the document.
  app.route("/api/v1/session", sessionPublicApi);
  app.route("/api/v1/docs", docsApi);
  app.use(
    "/api/v1/*",
    except(["/api/v1/openapi.json", "/api/v1/health", "/api/v1/realtime", "/api/v1/docs", isCallback], requireUser),
  );
  app.use("/api/method/*", requireUser);

  app.route("/api/v1", bulkApi);
  // Before tasksApi, whose GET /{name} would otherwise take "counts" for a task name.
  app.route("/api/v1/tasks", taskCountsApi);
  app.route("/api/v1/tasks", tasksApi);
  app.route("/api/v1/batches", batchListApi);
  app.route("/api/v1/batches", batchesApi);
  app.route("/api/v1/task-types", taskTypesApi);
  app.route("/api/v1/dispatcher", dispatcherApi);
  app.route("/api/v1/methods", methodsApi);
  app.route("/api/v1/api-keys", apiKeysApi);
  if (options.metrics) app.route("/api/v1/ops/metrics", metricsApi);
  if (options.demo) app.route("/api/v1/demo", demoApi);
  app.route("/api/v1/ops", opsApi);
  app.route("/api/v1/realtime/tickets", realtimeTicketsApi);
  app.route("/api/v1/reports", reportsApi);
  app.route("/api/v1/report-jobs", reportJobListApi);
  app.route("/api/v1/report-jobs", reportJobsApi);
  app.route("/api/v1/scheduled-jobs", schedulePreviewApi);
  app.route("/api/v1/scheduled-jobs", scheduledJobsApi);
  app.route("/api/v1/remote-targets", remoteTargetsApi);
  app.route("/api/v1/session", sessionApi);
  app.route("/api/v1/stats", statsApi);
  app.route("/api/v1/metrics", taskMetricsApi);
  app.route("/api/v1/alerts", alertsApi);
  app.route("/api/v1/webhooks", webhooksApi);
  app.route("/api/method", frappeApi);
  app.route("/api/method", reportLongPollingApi);

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/method/")) return c.json(frappeErrorBody(404, `no such method ${c.req.path}`), 404);
    return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
  });
  app.onError(handleError);
  return app;
}

export type App = ReturnType<typeof buildApp>;

const apps = new WeakMap<object, App>();

/**
 * The Worker's fetch handler: the app for this environment, built on its first request. An
 * invalid configuration answers every request with a 500 that names the var.
 */
export function handleFetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
  count({ invocations: 1 });
  let app = apps.get(env);
  if (!app) {
    try {
      app = buildApp({ metrics: config(env).metrics, demo: config(env).demoMethods });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      log.error("invalid configuration", { error: error.message });
      return Response.json(errorBody("invalid_configuration", error.message), { status: 500 });
    }
    apps.set(env, app);
  }
  return app.fetch(request, env, ctx);
}
