// POST /api/v1/tasks/{name}/progress|complete|fail: what a remote site calls while it runs an
// attempt. Authorised by the attempt's callback token (`Authorization: Bearer <token>`, the token
// the call carried in X-Switchyard-Callback-Token), never by an API key.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { remoteComplete, remoteFail, remoteProgress } from "../remote/callbacks";
import { invalid, tooLarge } from "../shared/errors";
import { nestsDeeperThan } from "../shared/json-depth";
import { toJson, type Json } from "../shared/json";
import { log, withLogFields } from "../shared/log";
import { parseTraceparent } from "../shared/trace";
import type { Progress as StoredProgress } from "../shared/states";
import type { AppEnv } from "./context";
import { errorResponse, json, router } from "./router";
import { requestTrace } from "./trace-context";
import { TaskName } from "./schemas";

const RESULT_MAX_BYTES = 64 * 1024;
const TEXT_MAX = 64 * 1024;
const RESULT_MAX_DEPTH = 64;

const Count = z.number().finite().nonnegative();
const Progress = z
  .object({ count: Count.optional(), total: Count.optional(), description: z.string().max(500).optional() })
  .strict();

const ProgressBody = z
  .union([
    Progress.extend({ status_message: z.string().max(500).optional() }).strict(),
    z.string().max(500).openapi({ description: "A message: stored as the progress description" }),
  ])
  .openapi("CallbackProgress");

const CompleteBody = z
  .object({
    result: z.unknown().optional().openapi({ description: "Any JSON, at most 64 KB" }),
    progress: Progress.optional(),
    debug_log: z.string().max(TEXT_MAX).optional(),
  })
  .strict()
  .openapi("CallbackComplete");

const FailBody = z
  .object({
    error: z.string().min(1).max(TEXT_MAX),
    permanent: z.boolean().optional().openapi({ description: "true: never retried" }),
    retry_after: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .optional()
      .openapi({ description: "Seconds before a retry may start (a floor on the task's own backoff)" }),
    progress: Progress.optional(),
    debug_log: z.string().max(TEXT_MAX).optional(),
  })
  .strict()
  .openapi("CallbackFail");

const Answer = z
  .object({
    task: z.string(),
    attempt: z.number().int(),
    status: z.string(),
    lease_until: z.string().nullable().openapi({ description: "Send a progress callback before this time" }),
  })
  .openapi("CallbackAnswer");

const callbackRoute = <B extends z.ZodType>(action: string, summary: string, body: B) =>
  createRoute({
    method: "post",
    path: `/{name}/${action}`,
    summary,
    security: [{ callbackToken: [] }],
    request: { params: TaskName, body: { required: true, content: { "application/json": { schema: body } } } },
    responses: {
      200: json(Answer, "Recorded"),
      400: errorResponse(400),
      401: errorResponse(401, "Missing or wrong callback token for this task"),
      409: errorResponse(
        409,
        "The attempt is not running any more (canceled, timed out, finished): stop working on it",
      ),
      413: errorResponse(413),
    },
  });

/** The callback token the request carries (`Authorization: Bearer <token>`), or null. */
function tokenOf(c: Context<AppEnv>): string | null {
  const auth = c.req.header("authorization");
  const match = auth === undefined ? null : /^Bearer\s+(\S+)$/i.exec(auth.trim());
  return match?.[1] ?? null;
}

const stored = (progress: z.infer<typeof Progress> | undefined): Json<StoredProgress> | null =>
  progress === undefined ? null : toJson(progress);

/** The result as stored JSON: refused when deeper than 64 levels or larger than 64 KB. */
function resultJson(result: unknown): Json<unknown> | null {
  if (result === undefined || result === null) return null;
  if (nestsDeeperThan(result, RESULT_MAX_DEPTH)) {
    throw invalid("result_too_deep", `result nests deeper than ${RESULT_MAX_DEPTH} levels`);
  }
  const text = toJson(result);
  if (new TextEncoder().encode(text).length > RESULT_MAX_BYTES) {
    throw tooLarge("result_too_large", "result is larger than 64 KB; keep large outputs on the remote side");
  }
  return text;
}

/**
 * Runs a callback with the remote's W3C trace context (`traceparent`, checked: malformed is a 400)
 * on every log line it writes; a sampled one also logs that the callback arrived.
 */
function traced<T>(c: Context<AppEnv>, task: string, action: string, fn: () => Promise<T>): Promise<T> {
  const trace = requestTrace(c.req.raw);
  if (trace === undefined) return fn();
  const parts = parseTraceparent(trace.traceparent);
  const traceId = "error" in parts ? null : parts.traceId;
  return withLogFields({ task, trace_id: traceId, traceparent: trace.traceparent }, async () => {
    if (!("error" in parts) && (parseInt(parts.flags, 16) & 1) === 1) log.info("remote callback", { action });
    return fn();
  });
}

export const callbacksApi = router()
  .openapi(callbackRoute("progress", "Remote attempt: progress and heartbeat", ProgressBody), async (c) => {
    const body = c.req.valid("json");
    const { status_message: statusMessage, ...progress } = typeof body === "string" ? { description: body } : body;
    const news = {
      ...(Object.keys(progress).length === 0 ? {} : { progress: toJson(progress) }),
      ...(statusMessage === undefined ? {} : { statusMessage }),
    };
    const name = c.req.valid("param").name;
    return c.json(await traced(c, name, "progress", () => remoteProgress(c.env, name, tokenOf(c), news)), 200);
  })
  .openapi(callbackRoute("complete", "Remote attempt: finished with a result", CompleteBody), async (c) => {
    const body = c.req.valid("json");
    const outcome = {
      result: resultJson(body.result),
      debugLog: body.debug_log ?? null,
      progress: stored(body.progress),
    };
    const name = c.req.valid("param").name;
    return c.json(await traced(c, name, "complete", () => remoteComplete(c.env, name, tokenOf(c), outcome)), 200);
  })
  .openapi(
    callbackRoute("fail", "Remote attempt: failed (retried by the task's rules unless permanent)", FailBody),
    async (c) => {
      const body = c.req.valid("json");
      const name = c.req.valid("param").name;
      const failure = {
        error: body.error,
        permanent: body.permanent ?? false,
        ...(body.retry_after === undefined ? {} : { minDelayMs: body.retry_after * 1000 }),
        debugLog: body.debug_log ?? null,
        progress: stored(body.progress),
      };
      return c.json(await traced(c, name, "fail", () => remoteFail(c.env, name, tokenOf(c), failure)), 200);
    },
  );
