// /api/v1/batches/{batch_id}: exact counters, and batch-wide cancel, retry-failed, resume and
// requeue-failed-items. Another user's batch is a 404.
import { createRoute, z } from "@hono/zod-openapi";
import { Batch, RequeuedItems as Requeued } from "../contract/batches";
import { count, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { countPendingItemFailures } from "../db/item-failures";
import { batches, tasks, type BatchRow } from "../db/schema";
import { batchCounters } from "../realtime/events";
import { notFound } from "../shared/errors";
import type { TaskStatus } from "../shared/states";
import { canSee, type User } from "../shared/user";
import { bulkAction } from "../tasks/actions";
import { requeueFailedItems } from "../tasks/bulk";
import type { TaskAction } from "../transitions/actions";
import { ActionResult } from "./bulk";
import { errorResponses, json, pathParam, router } from "./router";

const BatchParam = z.object({ batch_id: pathParam("batch_id", 100) });

async function visibleBatch(env: Env, user: User, batchId: string): Promise<BatchRow> {
  const [batch] = await getDb(env).select().from(batches).where(eq(batches.batchId, batchId));
  if (!batch || !canSee(user, batch.owner)) throw notFound(`batch ${batchId}`);
  return batch;
}

/** A batch with its tasks per status and per method (one grouped read) and its failed items. */
async function batchJson(env: Env, batch: BatchRow) {
  const db = getDb(env);
  const [rows, failedItems] = await Promise.all([
    db
      .select({ status: tasks.status, method: tasks.method, n: count() })
      .from(tasks)
      .where(eq(tasks.batchId, batch.batchId))
      .groupBy(tasks.status, tasks.method),
    countPendingItemFailures(db, batch.batchId),
  ]);
  const statuses: Record<string, number> = {};
  const methods: Record<string, number> = {};
  // Methods in name order, whatever order the grouping read them in.
  for (const r of [...rows].sort((a, b) => a.method.localeCompare(b.method))) {
    statuses[r.status] = (statuses[r.status] ?? 0) + r.n;
    methods[r.method] = (methods[r.method] ?? 0) + r.n;
  }
  return {
    ...batchCounters(batch),
    label: batch.label,
    owner: batch.owner,
    created_at: new Date(batch.createdAt).toISOString(),
    statuses,
    methods,
    failed_items: failedItems,
  };
}

const batchActionRoute = (path: string, summary: string) =>
  createRoute({
    method: "post",
    path: `/{batch_id}/${path}`,
    summary,
    request: { params: BatchParam },
    responses: { 200: json(ActionResult, "Per-task outcomes (call again while truncated)"), ...errorResponses },
  });

/** A bulk action over a batch's tasks (those in `statuses` when given), at most 500 per call. */
async function onBatch(
  env: Env,
  user: User,
  batchId: string,
  action: TaskAction,
  statuses?: TaskStatus[],
  message?: string,
) {
  await visibleBatch(env, user, batchId);
  return bulkAction(env, user, action, { batchId, statuses }, { message });
}

export const batchesApi = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/{batch_id}",
      summary: "A batch's exact counters and status breakdown",
      request: { params: BatchParam },
      responses: { 200: json(Batch, "The batch"), ...errorResponses },
    }),
    async (c) => {
      const batch = await visibleBatch(c.env, c.get("user"), c.req.valid("param").batch_id);
      return c.json(await batchJson(c.env, batch), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{batch_id}/cancel",
      summary: "Cancel every live task of the batch",
      request: {
        params: BatchParam,
        body: {
          required: false,
          content: { "application/json": { schema: z.strictObject({ message: z.string().max(1000).optional() }) } },
        },
      },
      responses: { 200: json(ActionResult, "Per-task outcomes (call again while truncated)"), ...errorResponses },
    }),
    async (c) => {
      const { message } = c.req.valid("json");
      return c.json(
        await onBatch(c.env, c.get("user"), c.req.valid("param").batch_id, "cancel", undefined, message),
        200,
      );
    },
  )
  .openapi(batchActionRoute("retry-failed", "Retry every Failed task of the batch"), async (c) =>
    c.json(await onBatch(c.env, c.get("user"), c.req.valid("param").batch_id, "retry", ["Failed"]), 200),
  )
  .openapi(batchActionRoute("resume", "Resume every Paused task of the batch (after pause_rest)"), async (c) =>
    c.json(await onBatch(c.env, c.get("user"), c.req.valid("param").batch_id, "resume", ["Paused"]), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{batch_id}/requeue-failed-items",
      summary: "Enqueue just the failed item ids of the batch's chunk tasks, as a new batch (each item once)",
      request: { params: BatchParam },
      responses: { 200: json(Requeued, "The new batches"), ...errorResponses },
    }),
    async (c) => {
      const user = c.get("user");
      const batch = await visibleBatch(c.env, user, c.req.valid("param").batch_id);
      return c.json(await requeueFailedItems(c.env, user, batch), 200);
    },
  );
