// GET /api/v1/batches: the caller's batches (System Managers: everyone's), newest first, keyset-paged.
import { createRoute, z } from "@hono/zod-openapi";
import { BatchSummary } from "../contract/batches";
import { listBatches, type BatchCursor } from "../db/batches";
import { getDb } from "../db/client";
import { batchCounters } from "../realtime/events";
import { invalid } from "../shared/errors";
import { isSystemManager } from "../shared/user";
import { Limit, errorResponses, json, page, router } from "./router";

/** Cursor = "<created_at ms>.<batch_id>" of the last row of the previous page. */
function parseCursor(cursor: string): BatchCursor {
  const dot = cursor.indexOf(".");
  const createdAt = Number(cursor.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(createdAt)) throw invalid("validation_failed", "invalid query: bad cursor");
  return { createdAt, batchId: cursor.slice(dot + 1) };
}

export const batchListApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "List batches (own batches; System Managers see all), newest first",
    request: {
      query: z.object({ owner: z.string().max(140).optional(), limit: Limit, cursor: z.string().max(200).optional() }),
    },
    responses: { 200: json(page(BatchSummary), "A page of batches"), ...errorResponses },
  }),
  async (c) => {
    const user = c.get("user");
    const q = c.req.valid("query");
    const admin = isSystemManager(user);
    // Non-admins only ever see their own batches: asking for someone else's gets an empty page.
    if (!admin && q.owner !== undefined && q.owner !== user.name) return c.json({ data: [], next_cursor: null }, 200);
    const { rows, next } = await listBatches(
      getDb(c.env),
      admin ? q.owner : user.name,
      q.limit,
      q.cursor === undefined ? undefined : parseCursor(q.cursor),
    );
    return c.json(
      {
        data: rows.map((b) => ({
          ...batchCounters(b),
          label: b.label,
          owner: b.owner,
          created_at: new Date(b.createdAt).toISOString(),
        })),
        next_cursor: next === null ? null : `${next.createdAt}.${next.batchId}`,
      },
      200,
    );
  },
);
