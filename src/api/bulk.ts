// Bulk routes: POST /api/v1/tasks/bulk (enqueue many), POST /api/v1/tasks/actions (act on many),
// POST /api/v1/bulk/{method} (chunked bulk over ids).
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { inJson } from "../db/in-json";
import { tasks } from "../db/schema";
import { taskWhere, type TaskFilter } from "../db/task-filter";
import { ACTION_FROM, TASK_ACTIONS, performAction, type ActionOptions, type TaskAction } from "../tasks/actions";
import { BulkEnqueueBody, ChunkedBulkBody, enqueueBulk, enqueueChunks, type BulkResult } from "../tasks/bulk";
import { TASK_STATUSES } from "../tasks/states";
import { isSystemManager, type AppEnv, type User } from "./context";
import { badRequest, validationHook } from "./errors";
import { errorResponses, json } from "./schemas";
import { MAX_ARG_FILTERS, isoMs, parseArgFilters } from "./task-query";

const BulkCreated = z
  .object({
    batch_id: z.string(),
    enqueued: z.number(),
    tasks: z.array(z.object({ name: z.string(), method: z.string(), batch_order: z.number() })),
  })
  .openapi("BulkCreated");

function createdJson(result: BulkResult) {
  return {
    batch_id: result.batchId,
    enqueued: result.rows.length,
    tasks: result.rows.map((r, i) => ({ name: r.name, method: r.method, batch_order: i })),
  };
}

/** Most tasks one bulk action may touch; by batch or filter, call again while `truncated`. */
export const ACTION_MAX = 500;

const ActionBody = z
  .strictObject({
    action: z.enum(TASK_ACTIONS),
    names: z.array(z.string().min(1).max(64)).min(1).max(ACTION_MAX).optional(),
    batch_id: z.string().min(1).max(100).optional(),
    filter: z
      .strictObject({
        status: z.enum(TASK_STATUSES).optional(),
        method: z.string().max(140).optional(),
        // The task list's filters, so "apply to everything this filter matches" means the same rows.
        batch_id: z.string().min(1).max(100).optional(),
        owner: z.string().max(140).optional(),
        job_name: z.string().min(1).max(140).optional(),
        created_after: z.iso.datetime({ offset: true }).optional(),
        created_before: z.iso.datetime({ offset: true }).optional(),
        arg: z.array(z.string()).max(MAX_ARG_FILTERS).optional(),
      })
      .optional(),
    message: z.string().max(1000).optional(),
    now: z.boolean().optional(),
  })
  .openapi("BulkAction");

const ActionResult = z
  .object({
    action: z.string(),
    done: z.number(),
    skipped: z.number(),
    truncated: z.boolean(),
    results: z.array(
      z.object({
        name: z.string(),
        outcome: z.enum(["done", "skipped"]),
        status: z.string().nullable(),
        reason: z.string().nullable(),
      }),
    ),
  })
  .openapi("BulkActionResult");

/** Only a System Manager acts on other users' tasks. */
function visibleTo(user: User): SQL | undefined {
  return isSystemManager(user) ? undefined : eq(tasks.owner, user.name);
}

/**
 * Applies `action` to the named tasks (or every task of a batch / matching a filter, up to
 * ACTION_MAX), reporting per name whether it was done or skipped and why. Invisible tasks are
 * reported "not found", exactly like missing ones.
 */
export async function bulkAction(
  env: Env,
  user: User,
  action: TaskAction,
  select: { names?: string[]; batchId?: string; filter?: TaskFilter; statuses?: string[] },
  options: ActionOptions,
) {
  const db = getDb(env);
  let requested: string[];
  let truncated = false;
  if (select.names) {
    requested = [...new Set(select.names)];
  } else {
    const where = and(
      select.batchId ? eq(tasks.batchId, select.batchId) : undefined,
      select.statuses ? inArray(tasks.status, select.statuses) : undefined,
      select.filter ? taskWhere(select.filter) : undefined,
    );
    // Only tasks the action can apply to, so repeating a truncated call makes progress.
    const rows = await db
      .select({ name: tasks.name })
      .from(tasks)
      .where(and(where, visibleTo(user), ACTION_FROM[action]))
      .orderBy(desc(tasks.name))
      .limit(ACTION_MAX + 1);
    truncated = rows.length > ACTION_MAX;
    requested = rows.slice(0, ACTION_MAX).map((r) => r.name);
  }
  let changed: Awaited<ReturnType<typeof performAction>> = [];
  if (requested.length > 0) {
    changed = await performAction(env, action, and(inJson(tasks.name, requested), visibleTo(user)), options);
  }
  const done = new Map(changed.map((t) => [t.name, t.status]));
  const others = requested.filter((n) => !done.has(n));
  const current =
    others.length === 0
      ? []
      : await db
          .select({ name: tasks.name, status: tasks.status })
          .from(tasks)
          .where(and(inJson(tasks.name, others), visibleTo(user)));
  const status = new Map(current.map((t) => [t.name, t.status]));
  const results = requested.map((name) => {
    if (done.has(name)) return { name, outcome: "done" as const, status: done.get(name) ?? null, reason: null };
    const now = status.get(name);
    return {
      name,
      outcome: "skipped" as const,
      status: now ?? null,
      reason: now === undefined ? "not found" : `cannot ${action} a task that is ${now}`,
    };
  });
  return { action, done: done.size, skipped: results.length - done.size, truncated, results };
}

/** The body's filter in the list's terms. */
function filterOf(f: z.output<typeof ActionBody>["filter"] & object): TaskFilter {
  return {
    status: f.status,
    method: f.method,
    batchId: f.batch_id,
    owner: f.owner,
    jobName: f.job_name,
    createdAfter: isoMs(f.created_after),
    createdBefore: isoMs(f.created_before),
    args: parseArgFilters(f.arg ?? []),
  };
}

export const bulkApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks/bulk",
      summary: "Enqueue up to 1,000 tasks as one batch, all or nothing",
      request: { body: { required: true, content: { "application/json": { schema: BulkEnqueueBody } } } },
      responses: {
        201: json(BulkCreated, "Enqueued"),
        ...errorResponses,
        409: json(z.unknown(), "Batch owned by another user"),
      },
    }),
    async (c) => c.json(createdJson(await enqueueBulk(c.env, c.get("user"), c.req.valid("json"))), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/tasks/actions",
      summary: "Cancel, retry, pause, resume or run now many tasks (≤ 500 names, a batch, or a filter)",
      request: { body: { required: true, content: { "application/json": { schema: ActionBody } } } },
      responses: { 200: json(ActionResult, "Per-task outcomes"), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const selectors = [body.names, body.batch_id, body.filter].filter((s) => s !== undefined).length;
      if (selectors !== 1) throw badRequest("validation_failed", "give exactly one of names, batch_id or filter");
      const result = await bulkAction(
        c.env,
        c.get("user"),
        body.action,
        { names: body.names, batchId: body.batch_id, filter: body.filter && filterOf(body.filter) },
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
        params: z.object({
          method: z
            .string()
            .min(1)
            .max(140)
            .openapi({ param: { name: "method", in: "path" } }),
        }),
        body: { required: true, content: { "application/json": { schema: ChunkedBulkBody } } },
      },
      responses: {
        201: json(
          z.object({ batch_id: z.string(), enqueued: z.number(), total: z.number(), duplicates_removed: z.number() }),
          "Enqueued",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const result = await enqueueChunks(c.env, c.get("user"), c.req.valid("param").method, c.req.valid("json"));
      return c.json(
        {
          batch_id: result.batchId,
          enqueued: result.rows.length,
          total: result.total,
          duplicates_removed: result.duplicates,
        },
        201,
      );
    },
  );
