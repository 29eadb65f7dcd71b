// Bulk routes: POST /api/v1/tasks/bulk (enqueue many), POST /api/v1/tasks/actions (act on many),
// POST /api/v1/bulk/{method} (chunked bulk over ids).
import { createRoute, z } from "@hono/zod-openapi";
import { BulkActionResult, BulkCreated, BulkEnqueue, ChunkedBulkCreated, TaskFilter } from "../contract/tasks";
import { invalid } from "../shared/errors";
import { ACTION_MAX, bulkAction } from "../tasks/actions";
import { requestTrace } from "./trace-context";
import { ChunkedBulkBody, enqueueBulk, enqueueChunks, type BulkResult } from "../tasks/bulk";
import { TASK_ACTIONS } from "../live/actions";
import { errorResponse, errorResponses, json, pathParam, router } from "./router";
import { taskFilterOf } from "./task-query";

function createdJson(result: BulkResult) {
  return {
    batch_id: result.batchId,
    enqueued: result.tasks.length,
    tasks: result.tasks.map((r, i) => ({ name: r.name, method: r.method, batch_order: i })),
  };
}

const ActionBody = z
  .strictObject({
    action: z.enum(TASK_ACTIONS),
    names: z.array(z.string().min(1).max(64)).min(1).max(ACTION_MAX).optional(),
    batch_id: z.string().min(1).max(100).optional(),
    // The task list's filters, so "apply to everything this filter matches" means the same rows.
    filter: TaskFilter.optional(),
    message: z.string().max(1000).optional(),
    now: z.boolean().optional(),
  })
  .openapi("BulkAction");

/** Per-task outcomes of a bulk action (batch actions answer the same). */
export const ActionResult = BulkActionResult;

export const bulkApi = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks/bulk",
      summary: "Enqueue up to 1,000 tasks as one batch, all or nothing",
      request: { body: { required: true, content: { "application/json": { schema: BulkEnqueue } } } },
      responses: {
        201: json(BulkCreated, "Enqueued"),
        ...errorResponses,
        409: errorResponse(409, "Batch owned by another user"),
        413: errorResponse(413, "Arguments or body too large"),
      },
    }),
    async (c) => {
      const trace = requestTrace(c.req.raw);
      return c.json(createdJson(await enqueueBulk(c.env, c.get("user"), c.req.valid("json"), Date.now(), trace)), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks/actions",
      summary: "Cancel, retry, pause, resume or run now many tasks (≤ 500 names, a batch, or a filter)",
      request: { body: { required: true, content: { "application/json": { schema: ActionBody } } } },
      responses: {
        200: json(ActionResult, "Per-task outcomes"),
        ...errorResponses,
        409: errorResponse(409, "A retry would give two live tasks the same dedupe_key"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const selectors = [body.names, body.batch_id, body.filter].filter((s) => s !== undefined).length;
      if (selectors !== 1) throw invalid("validation_failed", "give exactly one of names, batch_id or filter");
      const result = await bulkAction(
        c.env,
        c.get("user"),
        body.action,
        {
          names: body.names,
          batchId: body.batch_id,
          filter: body.filter && taskFilterOf(body.filter, body.filter.arg ?? []),
        },
        { message: body.message, now: body.now },
      );
      return c.json(result, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/bulk/{method}",
      summary: "Chunked bulk over ids: one task of a per-item method per chunk, in one batch",
      request: {
        params: z.object({ method: pathParam("method", 140) }),
        body: { required: true, content: { "application/json": { schema: ChunkedBulkBody } } },
      },
      responses: {
        201: json(ChunkedBulkCreated, "Enqueued"),
        ...errorResponses,
        409: errorResponse(409, "Batch owned by another user"),
      },
    }),
    async (c) => {
      const trace = requestTrace(c.req.raw);
      const result = await enqueueChunks(c.env, c.get("user"), c.req.valid("param").method, c.req.valid("json"), trace);
      return c.json(
        {
          batch_id: result.batchId,
          enqueued: result.tasks.length,
          total: result.total,
          duplicates_removed: result.duplicates,
        },
        201,
      );
    },
  );
