// /api/v1/scheduled-jobs: list, create, get (with the next 10 runs), replace, delete, the run log,
// and run now / stop / start / skip. A user's own schedules; a System Manager sees and manages all.
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { listRuns, listSchedules } from "../db/schedules";
import { isSystemManager } from "../shared/user";
import {
  createSchedule,
  ensureCodeSchedulesSynced,
  removeSchedule,
  replaceSchedule,
  runNow,
  skipSlots,
  startSchedule,
  stopSchedule,
  visibleSchedule,
} from "../schedules/manage";
import { runJson, scheduleJson } from "../schedules/serialize";
import { ScheduleSpec } from "../schedules/spec";
import { Limit, errorResponse, errorResponses, json, page, pathParam, router } from "./router";
import { ScheduleRun as Run, ScheduledJob as Schedule } from "../contract/schedules";

const NameParam = z.object({ name: pathParam("name", 100) });
const changed = errorResponse(
  409,
  "Defined in code, the name is taken, it changed meanwhile, or (start, run) its owner holds no valid API key (owner_without_key)",
);

const action = <B extends z.ZodType>(path: string, summary: string, body: B, required: boolean) =>
  createRoute({
    method: "post",
    path: `/{name}/${path}`,
    summary,
    request: { params: NameParam, body: { required, content: { "application/json": { schema: body } } } },
    responses: { 200: json(Schedule, "The schedule after the action"), ...errorResponses, 409: changed },
  });

const base = router();
// The code's schedules are synced into D1 before this isolate's first schedule request.
base.use(async (c, next) => {
  await ensureCodeSchedulesSynced(c.env);
  await next();
});

export const scheduledJobsApi = base
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "List scheduled jobs with their next and last execution (own; System Managers see all)",
      request: { query: z.object({ limit: Limit, cursor: z.string().max(100).optional() }) },
      responses: { 200: json(page(Schedule), "A page of scheduled jobs"), ...errorResponses },
    }),
    async (c) => {
      const user = c.get("user");
      const { limit, cursor } = c.req.valid("query");
      const owner = isSystemManager(user) ? undefined : user.name;
      const { rows, nextCursor } = await listSchedules(getDb(c.env), owner, limit, cursor);
      const now = Date.now();
      return c.json({ data: rows.map((r) => scheduleJson(r, now)), next_cursor: nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary: "Create a scheduled job for a method you may enqueue",
      request: { body: { required: true, content: { "application/json": { schema: ScheduleSpec } } } },
      responses: { 201: json(Schedule, "Created"), ...errorResponses, 409: changed },
    }),
    async (c) => {
      const row = await createSchedule(c.env, c.get("user"), c.req.valid("json"));
      c.header("Location", `/api/v1/scheduled-jobs/${row.name}`);
      return c.json(scheduleJson(row, Date.now(), true), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{name}",
      summary: "A scheduled job, with its next 10 fire times in its time zone",
      request: { params: NameParam },
      responses: { 200: json(Schedule, "The scheduled job"), ...errorResponses },
    }),
    async (c) => {
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      return c.json(scheduleJson(row, Date.now(), true), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{name}",
      summary: "Replace a scheduled job's definition (API schedules; counters and run log are kept)",
      request: {
        params: NameParam,
        body: { required: true, content: { "application/json": { schema: ScheduleSpec } } },
      },
      responses: { 200: json(Schedule, "The scheduled job"), ...errorResponses, 409: changed },
    }),
    async (c) => {
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      return c.json(scheduleJson(await replaceSchedule(c.env, row, c.req.valid("json")), Date.now(), true), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{name}",
      summary: "Delete a scheduled job (API schedules; code schedules can only be stopped)",
      request: { params: NameParam },
      responses: { 204: { description: "Deleted" }, ...errorResponses, 409: changed },
    }),
    async (c) => {
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      await removeSchedule(c.env, row);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{name}/runs",
      summary: "The run log: what became of each slot (newest first), with the run's task, status and lag",
      request: {
        params: NameParam,
        query: z.object({ limit: Limit, cursor: z.coerce.number().int().optional() }),
      },
      responses: {
        200: json(z.object({ data: z.array(Run), next_cursor: z.number().nullable() }), "A page of runs"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      const { limit, cursor } = c.req.valid("query");
      const { rows, nextCursor } = await listRuns(getDb(c.env), row.name, limit, cursor);
      return c.json({ data: rows.map((r) => runJson(r, row.timezone)), next_cursor: nextCursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{name}/run",
      summary: "Run now, once (does not move the cadence)",
      request: { params: NameParam },
      responses: {
        201: json(z.object({ task: z.string(), schedule: Schedule }), "The run's task"),
        ...errorResponses,
        409: changed,
      },
    }),
    async (c) => {
      const user = c.get("user");
      const row = await visibleSchedule(c.env, user, c.req.valid("param").name);
      const task = await runNow(c.env, row);
      const after = await visibleSchedule(c.env, user, row.name);
      c.header("Location", `/api/v1/tasks/${task}`);
      return c.json({ task, schedule: scheduleJson(after, Date.now()) }, 201);
    },
  )
  .openapi(
    action("stop", "Stop the schedule (with a note)", z.strictObject({ note: z.string().max(500).optional() }), false),
    async (c) => {
      const user = c.get("user");
      const row = await visibleSchedule(c.env, user, c.req.valid("param").name);
      const note = c.req.valid("json").note ?? null;
      return c.json(scheduleJson(await stopSchedule(c.env, row, note, user), Date.now(), true), 200);
    },
  )
  .openapi(
    action(
      "start",
      "Start a stopped schedule (slots missed meanwhile follow its missed policy)",
      z.strictObject({}),
      false,
    ),
    async (c) => {
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      return c.json(scheduleJson(await startSchedule(c.env, row), Date.now(), true), 200);
    },
  )
  .openapi(
    action("skip", "Skip the next N slots", z.strictObject({ count: z.int().min(1).max(10_000) }), true),
    async (c) => {
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      return c.json(scheduleJson(await skipSlots(c.env, row, c.req.valid("json").count), Date.now(), true), 200);
    },
  );
