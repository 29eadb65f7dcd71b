// /api/v1/tasks: enqueue, list (the log), get and why-waiting (exact: the method's object), and the
// per-task actions (cancel, retry, pause, resume, run-now).
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { listTasks } from "../db/tasks";
import type { ActionOptions, TaskAction } from "../live/actions";
import { objectOfTask } from "../live/client";
import { readReruns, readTask } from "../live/read";
import type { TaskRecord } from "../live/store";
import { explainWaiting } from "../live/waiting";
import { invalid, notFound } from "../shared/errors";
import { canSee, isSystemManager, type User } from "../shared/user";
import { actOnTask } from "../tasks/actions";
import { enqueueTask } from "../tasks/enqueue";
import { requestTrace } from "./trace-context";
import { taskJson } from "../tasks/serialize";
import { TaskSpec } from "../tasks/spec";
import { Limit, errorResponse, errorResponses, json, page, router } from "./router";
import { Task, TaskFilterQuery, Waiting } from "../contract/tasks";
import { TaskName } from "./schemas";
import { visibleFilter } from "./task-query";

const enqueueRoute = createRoute({
  method: "post",
  path: "/",
  summary: "Enqueue one task",
  request: { body: { required: true, content: { "application/json": { schema: TaskSpec } } } },
  responses: {
    201: json(Task, "Created"),
    200: json(Task, "A live task with the same dedupe_key already exists; it is returned"),
    ...errorResponses,
    409: errorResponse(409, "batch_id belongs to another user"),
    413: errorResponse(413, "Arguments too large"),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List tasks (own tasks; System Managers see all)",
  request: {
    query: TaskFilterQuery.extend({ limit: Limit, cursor: z.string().max(64).optional() }),
  },
  responses: { 200: json(page(Task), "A page of tasks"), ...errorResponses },
});

const getRoute = createRoute({
  method: "get",
  path: "/{name}",
  summary: "Get a task (with the tasks that run it again)",
  request: { params: TaskName },
  responses: { 200: json(Task, "The task"), ...errorResponses },
});

const waitingRoute = createRoute({
  method: "get",
  path: "/{name}/waiting",
  summary: "Why the task is waiting: the admission rule's answer for it (dispatcher, limit, line, timers)",
  request: { params: TaskName },
  responses: { 200: json(Waiting, "The reason"), ...errorResponses },
});

const actionRoute = <B extends z.ZodType>(action: TaskAction, summary: string, body: B) =>
  createRoute({
    method: "post",
    path: `/{name}/${action}`,
    summary,
    request: { params: TaskName, body: { required: false, content: { "application/json": { schema: body } } } },
    responses: {
      200: json(Task, "The task after the action"),
      ...errorResponses,
      409: errorResponse(409, "Not allowed in the task's status"),
    },
  });

const CancelBody = z.strictObject({ message: z.string().max(1000).optional() });
const RetryBody = z.strictObject({ now: z.boolean().optional() });
const Empty = z.strictObject({});

/** A task the caller may see, as it is now; another user's task is not found, exactly like a missing one. */
async function visibleTask(env: Env, user: User, name: string): Promise<TaskRecord> {
  const task = await readTask(env, name);
  if (!task || !canSee(user, task.owner)) throw notFound(`task ${name}`);
  return task;
}

/** A rerun must name a task the caller may see: anything else is a 400 (without saying which it was). */
async function checkRerunOf(env: Env, user: User, name: string): Promise<void> {
  const earlier = await readTask(env, name);
  if (!earlier || !canSee(user, earlier.owner)) {
    throw invalid("unknown_rerun_of", `rerun_of: no task ${name} that you can see`, [
      { path: "rerun_of", message: "not a task you can see" },
    ]);
  }
}

/** Runs an action on a task the caller may see; a conflict when its status does not allow it. */
async function act(env: Env, user: User, name: string, action: TaskAction, options: ActionOptions = {}) {
  const task = await visibleTask(env, user, name);
  return taskJson(await actOnTask(env, task, action, options), user);
}

export const tasksApi = router()
  .openapi(enqueueRoute, async (c) => {
    const user = c.get("user");
    const spec = c.req.valid("json");
    const trace = requestTrace(c.req.raw);
    if (spec.rerun_of !== undefined) await checkRerunOf(c.env, user, spec.rerun_of);
    const { task, created } = await enqueueTask(c.env, user, spec, Date.now(), trace);
    c.header("Location", `/api/v1/tasks/${task.name}`);
    return c.json(taskJson(task, user), created ? 201 : 200);
  })
  .openapi(listRoute, async (c) => {
    const user = c.get("user");
    // `arg` repeats in the query string: read all of its values, not the validated last one.
    const { limit, cursor, ...fields } = c.req.valid("query");
    // Non-admins only ever see their own tasks: asking for someone else's gets an empty page.
    const filter = visibleFilter(user, fields, c.req.queries("arg") ?? []);
    if (filter === null) return c.json({ data: [], next_cursor: null }, 200);
    const { rows, nextCursor } = await listTasks(getDb(c.env), filter, limit, cursor);
    return c.json({ data: rows.map((r) => taskJson(r, user)), next_cursor: nextCursor }, 200);
  })
  .openapi(getRoute, async (c) => {
    const user = c.get("user");
    const task = await visibleTask(c.env, user, c.req.valid("param").name);
    const reruns = await readReruns(c.env, task, isSystemManager(user) ? undefined : user.name);
    return c.json({ ...taskJson(task, user), reruns }, 200);
  })
  .openapi(waitingRoute, async (c) => {
    const { name } = c.req.valid("param");
    const task = await visibleTask(c.env, c.get("user"), name);
    // The object's own facts, read at one instant; a task it no longer holds has ended.
    const facts = await objectOfTask(c.env, task.method, name, (o) => o.waiting(name));
    return c.json(
      explainWaiting(facts ?? { ...task, free: 0, dispatcherOn: true, limit: 0, running: 0, ahead: null }),
      200,
    );
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
