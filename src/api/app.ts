// Builds the HTTP app: request ids, auth, the /api/v1 resources, the Frappe-compatible paths,
// the OpenAPI document and the one error handler.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { except } from "hono/combine";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { config } from "../lib/config";
import { requireUser } from "../auth/middleware";
import { describeError, log } from "../lib/log";
import { apiKeysApi } from "./api-keys";
import { batchesApi } from "./batches";
import { bulkApi } from "./bulk";
import type { AppEnv } from "./context";
import { dispatcherApi } from "./dispatcher";
import { ApiError, errorBody, validationHook } from "./errors";
import { frappeApi, frappeErrorBody } from "./frappe";
import { healthApi, opsApi } from "./health";
import { methodsApi } from "./methods";
import { realtimeSocketApi, realtimeTicketsApi } from "./realtime";
import { reportLongPollingApi } from "./report-long-polling";
import { reportJobsApi, reportsApi } from "./reports";
import { taskTypesApi } from "./task-types";
import { tasksApi } from "./tasks";

const VERSION = "0.1.0";
const MAX_BODY_BYTES = 1024 * 1024;
/** Bulk enqueue carries up to 1,000 task specs. */
const MAX_BULK_BODY_BYTES = 16 * 1024 * 1024;

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** A cf-ray value worth logging (Cloudflare's format), else undefined — never raw client text. */
function cfRay(value: string | undefined): string | undefined {
  return value !== undefined && /^[0-9a-f]{16}(-[A-Z]{3})?$/.test(value) ? value : undefined;
}

/** Paths whose clients (Frappe, Power BI) authenticate with HTTP Basic after a challenge. */
function basicAuthPath(path: string): boolean {
  return path.startsWith("/api/method/") || path.startsWith("/api/v1/report-jobs/");
}

function retryAfter(details: unknown): number {
  const seconds = (details as { retry_after_s?: unknown } | null)?.retry_after_s;
  return typeof seconds === "number" && seconds > 0 ? Math.ceil(seconds) : 1;
}

/** CORS for the origins in CORS_ORIGINS only; with none configured, no CORS headers at all. */
const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const origins = config(c.env).corsOrigins;
  if (origins.length === 0) return next();
  return cors({
    origin: (origin) => (origins.includes(origin) ? origin : null),
    allowHeaders: ["Authorization", "Content-Type"],
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "Location"],
    maxAge: 600,
  })(c, next);
});

/** The complete Worker HTTP app. */
export function buildApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  // Our own request id on every response and log line. A client can send any cf-ray header, so it
  // is never echoed; a well-formed one is only logged, beside our id.
  app.use("*", async (c, next) => {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    if (c.res.status === 101) return; // a WebSocket upgrade's headers cannot change
    c.header("X-Request-Id", requestId);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
  });
  app.use("/api/*", corsFromConfig);

  app.get("/", (c) =>
    c.json({ service: "switchyard", version: VERSION, docs: "/api/v1/openapi.json", health: "/api/v1/health" }),
  );

  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `request body exceeds ${maxSize} bytes`);
      },
    });
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
    description: "`token <key>:<secret>` (also `Bearer <key>:<secret>`, HTTP Basic, or `?api_key=<key>:<secret>`)",
  });

  // The WebSocket endpoint authenticates with single-use tickets instead of API keys.
  app.route("/api/v1/realtime", realtimeSocketApi);
  app.use("/api/v1/*", except(["/api/v1/openapi.json", "/api/v1/health", "/api/v1/realtime"], requireUser));
  app.use("/api/method/*", requireUser);

  app.route("/api/v1", bulkApi);
  app.route("/api/v1/tasks", tasksApi);
  app.route("/api/v1/batches", batchesApi);
  app.route("/api/v1/task-types", taskTypesApi);
  app.route("/api/v1/dispatcher", dispatcherApi);
  app.route("/api/v1/methods", methodsApi);
  app.route("/api/v1/api-keys", apiKeysApi);
  app.route("/api/v1/ops", opsApi);
  app.route("/api/v1/realtime/tickets", realtimeTicketsApi);
  app.route("/api/v1/reports", reportsApi);
  app.route("/api/v1/report-jobs", reportJobsApi);
  app.route("/api/method", frappeApi);
  app.route("/api/method", reportLongPollingApi);

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/method/")) return c.json(frappeErrorBody(404, `no such method ${c.req.path}`), 404);
    return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
  });

  app.onError((error, c) => {
    let status = 500;
    let code = "internal";
    let message = `internal error (request ${c.get("requestId")})`;
    let details: unknown;
    if (error instanceof ApiError) {
      ({ status, code, message, details } = error);
    } else if (error instanceof HTTPException) {
      status = error.status;
      code = STATUS_CODES[status] ?? "error";
      message = error.message || code;
      if (status === 415) message = "send the request body as JSON with Content-Type: application/json";
      if (status === 400 && /malformed json/i.test(message)) code = "malformed_json";
    } else {
      log.error("unhandled error", {
        requestId: c.get("requestId"),
        cfRay: cfRay(c.req.header("cf-ray")),
        path: c.req.path,
        ...describeError(error),
      });
    }
    // Only where Power BI and Frappe clients expect it: elsewhere a browser must not pop a dialog.
    if (status === 401 && basicAuthPath(c.req.path)) {
      c.header("WWW-Authenticate", 'Basic realm="Switchyard", charset="UTF-8"');
    }
    if (status === 429) c.header("Retry-After", String(retryAfter(details)));
    const body = c.req.path.startsWith("/api/method/")
      ? frappeErrorBody(status, message)
      : errorBody(code, message, details);
    return c.json(body, status as 400);
  });

  return app;
}

export type App = ReturnType<typeof buildApp>;
