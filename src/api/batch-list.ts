// GET /api/v1/batches: the caller's batches (System Managers: everyone's), newest first, keyset-paged.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or } from "drizzle-orm";
import { getDb } from "../db/client";
import { batches } from "../db/schema";
import { batchCounters } from "../realtime/events";
import { isSystemManager, type AppEnv } from "./context";
import { badRequest, validationHook } from "./errors";
import { errorResponses, json, Limit, page } from "./schemas";

const BatchSummary = z
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
  })
  .openapi("BatchSummary");

/** Cursor = "<created_at ms>.<batch_id>" of the last row of the previous page. */
function parseCursor(cursor: string): { createdAt: number; batchId: string } {
  const dot = cursor.indexOf(".");
  const createdAt = Number(cursor.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(createdAt)) throw badRequest("validation_failed", "invalid query: bad cursor");
  return { createdAt, batchId: cursor.slice(dot + 1) };
}

export const batchListApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
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
    const owner = isSystemManager(user) ? q.owner : user.name;
    if (!isSystemManager(user) && q.owner !== undefined && q.owner !== user.name) {
      return c.json({ data: [], next_cursor: null }, 200);
    }
    const after = q.cursor === undefined ? undefined : parseCursor(q.cursor);
    const rows = await getDb(c.env)
      .select()
      .from(batches)
      .where(
        and(
          owner === undefined ? undefined : eq(batches.owner, owner),
          after === undefined
            ? undefined
            : or(
                lt(batches.createdAt, after.createdAt),
                and(eq(batches.createdAt, after.createdAt), lt(batches.batchId, after.batchId)),
              ),
        ),
      )
      .orderBy(desc(batches.createdAt), desc(batches.batchId))
      .limit(q.limit + 1);
    const more = rows.length > q.limit;
    const shown = more ? rows.slice(0, q.limit) : rows;
    const last = shown[shown.length - 1];
    return c.json(
      {
        data: shown.map((b) => ({
          ...batchCounters(b),
          owner: b.owner,
          created_at: new Date(b.createdAt).toISOString(),
        })),
        next_cursor: more && last ? `${last.createdAt}.${last.batchId}` : null,
      },
      200,
    );
  },
);
