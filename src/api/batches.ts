// /api/v1/batches/{batch_id}: exact counters, and batch-wide cancel, retry-failed, resume and
// requeue-failed-items. Another user's batch is a 404.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { count, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { markRequeued, pendingItemFailures } from "../db/item-failures";
import { batches, tasks, type BatchRow } from "../db/schema";
import { batchCounters } from "../realtime/events";
import { enqueueChunks } from "../tasks/bulk";
import type { TaskAction } from "../tasks/actions";
import { bulkAction } from "./bulk";
import { canSee, type AppEnv, type User } from "./context";
import { notFound, validationHook } from "./errors";
import { errorResponses, json } from "./schemas";

const BatchParam = z.object({
  batch_id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "batch_id", in: "path" } }),
});

const Batch = z
  .object({
    batch_id: z.string(),
    owner: z.string(),
    total: z.number(),
    finished: z.number(),
    failed: z.number(),
    canceled: z.number(),
    done: z.number(),
    failure_policy: z.string(),
    created_at: z.string(),
    statuses: z.record(z.string(), z.number()),
  })
  .openapi("Batch");

async function visibleBatch(env: Env, user: User, batchId: string): Promise<BatchRow> {
  const [batch] = await getDb(env).select().from(batches).where(eq(batches.batchId, batchId));
  if (!batch || !canSee(user, batch.owner)) throw notFound(`batch ${batchId}`);
  return batch;
}

async function batchJson(env: Env, batch: BatchRow) {
  const rows = await getDb(env)
    .select({ status: tasks.status, n: count() })
    .from(tasks)
    .where(eq(tasks.batchId, batch.batchId))
    .groupBy(tasks.status);
  return {
    ...batchCounters(batch),
    owner: batch.owner,
    created_at: new Date(batch.createdAt).toISOString(),
    statuses: Object.fromEntries(rows.map((r) => [r.status, r.n])),
  };
}

const batchActionRoute = (path: string, summary: string) =>
  createRoute({
    method: "post",
    path: `/{batch_id}/${path}`,
    summary,
    request: { params: BatchParam },
    responses: { 200: json(z.unknown(), "Per-task outcomes"), ...errorResponses },
  });

/**
 * Runs a bulk action over a batch's tasks (those in `statuses` when given), at most 500 per call:
 * `truncated` says to call again.
 */
async function onBatch(
  env: Env,
  user: User,
  batchId: string,
  action: TaskAction,
  statuses?: string[],
  message?: string,
) {
  await visibleBatch(env, user, batchId);
  return bulkAction(env, user, action, { batchId, statuses }, { message });
}

export const batchesApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
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
      responses: { 200: json(z.unknown(), "Per-task outcomes"), ...errorResponses },
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
    batchActionRoute(
      "requeue-failed-items",
      "Enqueue just the failed item ids of the batch's chunk tasks, as a new batch",
    ),
    async (c) => {
      const user = c.get("user");
      const { batch_id } = c.req.valid("param");
      const batch = await visibleBatch(c.env, user, batch_id);
      const db = getDb(c.env);
      const groups = await pendingItemFailures(db, batch.batchId);
      const requeued = [];
      for (const [method, group] of groups) {
        const shared = JSON.parse(group.arguments) as Record<string, unknown>;
        delete shared.ids;
        // The new batch is owned by the batch's owner, whoever asks (an admin may requeue for a user).
        const result = await enqueueChunks(c.env, { ...user, name: batch.owner }, method, {
          ids: group.ids,
          chunk_size: 200,
          arguments: shared,
        });
        await markRequeued(db, batch.batchId, method, result.batchId);
        requeued.push({ method, batch_id: result.batchId, ids: group.ids.length, enqueued: result.rows.length });
      }
      return c.json({ batch_id: batch.batchId, requeued }, 200);
    },
  );
