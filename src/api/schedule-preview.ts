// POST /api/v1/scheduled-jobs/preview (a new schedule) and …/{name}/preview (an edit): what a spec
// would do — the timing in words and the next 10 runs — checked as a save checks it, saving nothing.
import { createRoute, z } from "@hono/zod-openapi";
import { SchedulePreview, ScheduleSpec } from "../contract/schedules";
import { ensureCodeSchedulesSynced, visibleSchedule } from "../schedules/manage";
import { ownerOf, previewSchedule } from "../schedules/preview";
import { errorResponses, json, pathParam, router } from "./router";

const body = { required: true, content: { "application/json": { schema: ScheduleSpec } } } as const;

export const schedulePreviewApi = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/preview",
      summary:
        "Preview a new scheduled job: its timing in words and next 10 runs, checked like a create (nothing saved)",
      request: { body },
      responses: { 200: json(SchedulePreview, "What the schedule would do"), ...errorResponses },
    }),
    async (c) => c.json(await previewSchedule(c.env, c.req.valid("json"), c.get("user")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{name}/preview",
      summary: "Preview an edit of a scheduled job, checked like a replace for its owner (nothing saved)",
      request: { params: z.object({ name: pathParam("name", 100) }), body },
      responses: { 200: json(SchedulePreview, "What the schedule would do"), ...errorResponses },
    }),
    async (c) => {
      await ensureCodeSchedulesSynced(c.env);
      const row = await visibleSchedule(c.env, c.get("user"), c.req.valid("param").name);
      return c.json(await previewSchedule(c.env, c.req.valid("json"), ownerOf(row)), 200);
    },
  );
