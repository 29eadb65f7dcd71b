// /api/v1/task-types: per-method priority and concurrency limit (Async Task Type). System Manager to change.
import { createRoute, z } from "@hono/zod-openapi";
import { TaskType, TaskTypeBody } from "../contract/methods";
import { asc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { taskTypes, type TaskTypeRow } from "../db/schema";
import { wakeScheduler } from "../dispatch/wake";
import { isKnownMethod } from "../remote/methods";
import { conflict, invalid, notFound } from "../shared/errors";
import { errorResponse, errorResponses, json, pathParam, requireRole, router } from "./router";

const MethodParam = z.object({ method: pathParam("method", 140) });

function typeJson(row: TaskTypeRow) {
  return {
    method: row.method,
    priority: row.priority,
    concurrency_limit: row.concurrencyLimit,
    is_standard: row.isStandard,
    updated_at: new Date(row.updatedAt).toISOString(),
  };
}

export const taskTypesApi = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "List task types",
      responses: {
        200: json(z.object({ data: z.array(TaskType), next_cursor: z.null() }), "All task types"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const rows = await getDb(c.env).select().from(taskTypes).orderBy(asc(taskTypes.method));
      return c.json({ data: rows.map(typeJson), next_cursor: null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{method}",
      summary: "Get a task type",
      request: { params: MethodParam },
      responses: { 200: json(TaskType, "The task type"), ...errorResponses },
    }),
    async (c) => {
      const { method } = c.req.valid("param");
      const [row] = await getDb(c.env).select().from(taskTypes).where(eq(taskTypes.method, method));
      if (!row) throw notFound(`task type ${method}`);
      return c.json(typeJson(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{method}",
      summary: "Create or update a task type (System Manager)",
      middleware: [requireRole("System Manager")] as const,
      request: {
        params: MethodParam,
        body: { required: true, content: { "application/json": { schema: TaskTypeBody } } },
      },
      responses: { 200: json(TaskType, "The task type"), ...errorResponses },
    }),
    async (c) => {
      const { method } = c.req.valid("param");
      const body = c.req.valid("json");
      if (!(await isKnownMethod(c.env, method))) throw invalid("unknown_method", `unknown method ${method}`);
      const now = Date.now();
      const set = {
        ...(body.priority !== undefined && { priority: body.priority }),
        ...(body.concurrency_limit !== undefined && { concurrencyLimit: body.concurrency_limit }),
        ...(body.is_standard !== undefined && { isStandard: body.is_standard }),
        updatedAt: now,
      };
      const [row] = await getDb(c.env)
        .insert(taskTypes)
        .values({ method, ...set })
        .onConflictDoUpdate({ target: taskTypes.method, set })
        .returning();
      if (!row) throw new Error("task type upsert returned nothing");
      // A higher limit frees slots at once.
      await wakeScheduler(c.env, method);
      return c.json(typeJson(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{method}",
      summary: "Delete a task type (System Manager; standard types are protected)",
      middleware: [requireRole("System Manager")] as const,
      request: { params: MethodParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses, 409: errorResponse(409, "Standard task type") },
    }),
    async (c) => {
      const { method } = c.req.valid("param");
      const db = getDb(c.env);
      const [row] = await db.select().from(taskTypes).where(eq(taskTypes.method, method));
      if (!row) throw notFound(`task type ${method}`);
      if (row.isStandard) throw conflict(`task type ${method} is standard; set is_standard false first`);
      await db.delete(taskTypes).where(eq(taskTypes.method, method));
      await wakeScheduler(c.env, method);
      return c.body(null, 204);
    },
  );
