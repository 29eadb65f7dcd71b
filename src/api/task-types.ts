// /api/v1/task-types: per-method priority and concurrency limit (Async Task Type). System Manager to change.
import { createRoute, z } from "@hono/zod-openapi";
import { FlowUsage, TaskType, TaskTypeBody } from "../contract/methods";
import { methodFlowUsage } from "../live/fan-out";
import { asc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { taskTypes, type TaskTypeRow } from "../db/schema";
import { isKnownMethod } from "../remote/methods";
import { invalid, notFound } from "../shared/errors";
import { deleteTaskType, effectiveFlowControl, saveTaskType } from "../tasks/task-types";
import { errorResponse, errorResponses, json, pathParam, requireRole, router } from "./router";

const MethodParam = z.object({ method: pathParam("method", 140) });

function typeJson(row: TaskTypeRow) {
  return {
    method: row.method,
    priority: row.priority,
    concurrency_limit: row.concurrencyLimit,
    is_standard: row.isStandard,
    updated_at: new Date(row.updatedAt).toISOString(),
    flow_control: row.flowControl === null ? null : (JSON.parse(row.flowControl) as Record<string, unknown>),
    effective_flow_control: effectiveFlowControl(row.method, row) as Record<string, unknown> | null,
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
      method: "get",
      path: "/{method}/flow",
      summary: "Flow control in use now: running per key, throttles, waiting per fairness key",
      request: { params: MethodParam },
      responses: { 200: json(FlowUsage, "What flow control is doing now in the method's object"), ...errorResponses },
    }),
    async (c) => {
      const { method } = c.req.valid("param");
      if (!(await isKnownMethod(c.env, method))) throw notFound(`method ${method}`);
      const [row] = await getDb(c.env).select().from(taskTypes).where(eq(taskTypes.method, method));
      const usage = await methodFlowUsage(c.env, method);
      return c.json(
        {
          method,
          flow_control: effectiveFlowControl(method, row ?? null) as Record<string, unknown> | null,
          ...usage,
        },
        200,
      );
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
      const row = await saveTaskType(c.env, method, {
        ...(body.priority !== undefined && { priority: body.priority }),
        ...(body.concurrency_limit !== undefined && { concurrencyLimit: body.concurrency_limit }),
        ...(body.is_standard !== undefined && { isStandard: body.is_standard }),
        ...(body.flow_control !== undefined && { flowControl: body.flow_control }),
      });
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
      const [row] = await getDb(c.env).select().from(taskTypes).where(eq(taskTypes.method, method));
      if (!row) throw notFound(`task type ${method}`);
      await deleteTaskType(c.env, row);
      return c.body(null, 204);
    },
  );
