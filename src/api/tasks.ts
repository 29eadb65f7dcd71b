// /api/v1/tasks: enqueue, list, get, and the per-task actions (cancel, retry, pause, resume, run-now).
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { getTask, listTasks } from "../db/tasks";
import { tasks, type TaskRow } from "../db/schema";
import { eq } from "drizzle-orm";
import { enqueueTask } from "../tasks/enqueue";
import { performAction, type ActionOptions, type TaskAction } from "../tasks/actions";
import { taskJson } from "../tasks/serialize";
import { TASK_STATUSES } from "../tasks/states";
import { canSee, isSystemManager, type AppEnv, type User } from "./context";
import { conflict, notFound, validationHook } from "./errors";
import { errorResponses, json, Limit, page, Task, TaskName, TaskSpec } from "./schemas";
import { isoMs, parseArgFilters } from "./task-query";

const enqueueRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Enqueue one task",
  request: { body: { required: true, content: { "application/json": { schema: TaskSpec } } } },
  responses: {
    201: json(Task, "Created"),
    200: json(Task, "A live task with the same dedupe_key already exists; it is returned"),
    ...errorResponses,
    413: json(z.unknown(), "Arguments too large"),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List tasks (own tasks; System Managers see all)",
  request: {
    query: z.object({
      status: z.enum(TASK_STATUSES).optional(),
      method: z.string().max(140).optional(),
      batch_id: z.string().max(100).optional(),
      owner: z.string().max(140).optional(),
      job_name: z.string().min(1).max(140).optional().openapi({ description: "substring of job_name" }),
      created_after: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO time (inclusive)" }),
      created_before: z.iso.datetime({ offset: true }).optional().openapi({ description: "ISO time (exclusive)" }),
      arg: z
        .union([z.string(), z.array(z.string())])
        .optional()
        .openapi({
          description:
            'repeatable condition on arguments: <path>=<json value>, e.g. customer="CUST-0001" or items[0].qty=5',
        }),
      limit: Limit,
      cursor: z.string().max(64).optional(),
    }),
  },
  responses: { 200: json(page(Task), "A page of tasks"), ...errorResponses },
});

const getRoute = createRoute({
  method: "get",
  path: "/{name}",
  summary: "Get a task",
  request: { params: TaskName },
  responses: { 200: json(Task, "The task"), ...errorResponses },
});

const actionRoute = <B extends z.ZodType>(action: string, summary: string, body: B) =>
  createRoute({
    method: "post",
    path: `/{name}/${action}`,
    summary,
    request: { params: TaskName, body: { required: false, content: { "application/json": { schema: body } } } },
    responses: {
      200: json(Task, "The task after the action"),
      ...errorResponses,
      409: json(z.unknown(), "Not allowed in the task's status"),
    },
  });

const CancelBody = z.object({ message: z.string().max(1000).optional() });
const RetryBody = z.object({ now: z.boolean().optional() });
const Empty = z.object({});

/** Loads a task the caller may see, or throws 404. */
async function visibleTask(env: Env, user: User, name: string): Promise<TaskRow> {
  const task = await getTask(getDb(env), name);
  if (!task || !canSee(user, task.owner)) throw notFound(`task ${name}`);
  return task;
}

/** Runs an action on one task; 409 when its status does not allow it. */
async function act(env: Env, user: User, name: string, action: TaskAction, options: ActionOptions = {}) {
  const before = await visibleTask(env, user, name);
  const [after] = await performAction(env, action, eq(tasks.name, name), options);
  if (!after) {
    const status = (await getTask(getDb(env), name))?.status ?? before.status;
    throw conflict(`cannot ${action} a task that is ${status}`, { status });
  }
  return taskJson(after, user);
}

export const tasksApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(enqueueRoute, async (c) => {
    const user = c.get("user");
    const spec = c.req.valid("json");
    const { task, created } = await enqueueTask(c.env, user, spec, {
      waitUntil: (p) => c.executionCtx.waitUntil(p),
    });
    c.header("Location", `/api/v1/tasks/${task.name}`);
    return c.json(taskJson(task, user), created ? 201 : 200);
  })
  .openapi(listRoute, async (c) => {
    const user = c.get("user");
    const q = c.req.valid("query");
    const admin = isSystemManager(user);
    // Non-admins only ever see their own tasks: asking for someone else's gets an empty page.
    if (!admin && q.owner !== undefined && q.owner !== user.name) return c.json({ data: [], next_cursor: null }, 200);
    const { rows, nextCursor } = await listTasks(
      getDb(c.env),
      {
        status: q.status,
        method: q.method,
        batchId: q.batch_id,
        owner: admin ? q.owner : user.name,
        jobName: q.job_name,
        createdAfter: isoMs(q.created_after),
        createdBefore: isoMs(q.created_before),
        args: parseArgFilters(c.req.queries("arg") ?? []),
      },
      q.limit,
      q.cursor,
    );
    return c.json({ data: rows.map((r) => taskJson(r, user)), next_cursor: nextCursor }, 200);
  })
  .openapi(getRoute, async (c) => {
    const user = c.get("user");
    const task = await visibleTask(c.env, user, c.req.valid("param").name);
    return c.json(taskJson(task, user), 200);
  })
  .openapi(actionRoute("cancel", "Cancel a task (aborts it if running)", CancelBody), async (c) => {
    const { message } = c.req.valid("json");
    return c.json(await act(c.env, c.get("user"), c.req.valid("param").name, "cancel", { message }), 200);
  })
  .openapi(actionRoute("retry", "Retry a Failed or Canceled task (now: jump the line)", RetryBody), async (c) => {
    const { now } = c.req.valid("json");
    return c.json(await act(c.env, c.get("user"), c.req.valid("param").name, "retry", { now }), 200);
  })
  .openapi(actionRoute("pause", "Hold a Pending task", Empty), async (c) =>
    c.json(await act(c.env, c.get("user"), c.req.valid("param").name, "pause"), 200),
  )
  .openapi(actionRoute("resume", "Release a Paused task", Empty), async (c) =>
    c.json(await act(c.env, c.get("user"), c.req.valid("param").name, "resume"), 200),
  )
  .openapi(actionRoute("run-now", "Put a Pending or Paused task at the head of the line", Empty), async (c) =>
    c.json(await act(c.env, c.get("user"), c.req.valid("param").name, "run-now"), 200),
  );
