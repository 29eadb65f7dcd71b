// Builds the HTTP app: request ids, auth, the /api/v1 resources, the Frappe-compatible paths,
// the OpenAPI document and the one error handler.
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { except } from "hono/combine";
import { HTTPException } from "hono/http-exception";
import { requireUser } from "../auth/middleware";
import { describeError, log } from "../lib/log";
import { CSRF_HEADER } from "../auth/session";
import { apiKeysApi } from "./api-keys";
import { batchListApi } from "./batch-list";
import { batchesApi } from "./batches";
import { bulkApi } from "./bulk";
import type { AppEnv } from "./context";
import { dispatcherApi } from "./dispatcher";
import { docsApi } from "./docs";
import { ApiError, errorBody, validationHook } from "./errors";
import { frappeApi, frappeErrorBody } from "./frappe";
import { healthApi, opsApi } from "./health";
import { methodsApi } from "./methods";
import { realtimeSocketApi, realtimeTicketsApi } from "./realtime";
import { reportLongPollingApi } from "./report-long-polling";
import { reportJobListApi } from "./report-job-list";
import { reportJobsApi, reportsApi } from "./reports";
import { sessionApi, sessionPublicApi } from "./session";
import { statsApi } from "./stats";
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
};

/** The complete Worker HTTP app. */
export function buildApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use("*", async (c, next) => {
    const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
    // Console: the same hardening the static assets get from _headers.
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
  });

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
  // Console: sign-in and logout work without a valid session; the API docs page is public like the document.
  app.route("/api/v1/session", sessionPublicApi);
  app.route("/api/v1/docs", docsApi);
  app.use(
    "/api/v1/*",
    except(["/api/v1/openapi.json", "/api/v1/health", "/api/v1/realtime", "/api/v1/docs"], requireUser),
  );
  app.use("/api/method/*", requireUser);

  app.route("/api/v1", bulkApi);
  app.route("/api/v1/tasks", tasksApi);
  app.route("/api/v1/batches", batchListApi);
  app.route("/api/v1/batches", batchesApi);
  app.route("/api/v1/task-types", taskTypesApi);
  app.route("/api/v1/dispatcher", dispatcherApi);
  app.route("/api/v1/methods", methodsApi);
  app.route("/api/v1/api-keys", apiKeysApi);
  app.route("/api/v1/ops", opsApi);
  app.route("/api/v1/realtime/tickets", realtimeTicketsApi);
  app.route("/api/v1/reports", reportsApi);
  app.route("/api/v1/report-jobs", reportJobListApi);
  app.route("/api/v1/report-jobs", reportJobsApi);
  app.route("/api/v1/session", sessionApi);
  app.route("/api/v1/stats", statsApi);
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
      log.error("unhandled error", { requestId: c.get("requestId"), path: c.req.path, ...describeError(error) });
    }
    // Not for the console's requests: a Basic challenge would pop up the browser's own login dialog.
    if (status === 401 && c.req.header(CSRF_HEADER) === undefined)
      c.header("WWW-Authenticate", 'Basic realm="Switchyard", charset="UTF-8"');
    const body = c.req.path.startsWith("/api/method/")
      ? frappeErrorBody(status, message)
      : errorBody(code, message, details);
    return c.json(body, status as 400);
  });

  return app;
}

export type App = ReturnType<typeof buildApp>;
