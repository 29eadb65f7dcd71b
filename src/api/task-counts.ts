// GET /api/v1/tasks/counts: how many tasks the list's filter matches, per status (the tabs of the
// console's task list) — and with `action`, how many of them a bulk action "on everything this
// filter matches" would act on, by the action's own compare-and-set condition.
import { createRoute, z } from "@hono/zod-openapi";
import { TaskCounts, TaskFilterQuery } from "../contract/tasks";
import { getDb } from "../db/client";
import { countByStatus } from "../db/task-counts";
import { TASK_STATUSES, type TaskStatus } from "../shared/states";
import { ACTION_FROM, TASK_ACTIONS } from "../transitions/actions";
import { errorResponses, json, router } from "./router";
import { visibleFilter } from "./task-query";

/** Default and largest cap: a count reads at most cap + 1 rows per status. */
const DEFAULT_CAP = 1000;
const MAX_CAP = 100_000;

export const taskCountsApi = router().openapi(
  createRoute({
    method: "get",
    path: "/counts",
    summary: "How many tasks the list's filters match, per status (own tasks; System Managers see all)",
    request: {
      query: TaskFilterQuery.extend({
        cap: z.coerce
          .number()
          .int()
          .min(1)
          .max(MAX_CAP)
          .default(DEFAULT_CAP)
          .openapi({ description: "count each status up to this many (reads stay bounded)" }),
        action: z
          .enum(TASK_ACTIONS)
          .optional()
          .openapi({ description: "count only the tasks this bulk action would act on (the others it skips)" }),
      }),
    },
    responses: { 200: json(TaskCounts, "Counts per status"), ...errorResponses },
  }),
  async (c) => {
    const user = c.get("user");
    // `arg` repeats in the query string: read all of its values, not the validated last one.
    const { cap, action, ...fields } = c.req.valid("query");
    const filter = visibleFilter(user, fields, c.req.queries("arg") ?? []);
    const counts =
      filter === null ? null : await countByStatus(getDb(c.env), filter, cap, action && ACTION_FROM[action]);
    const statuses = {} as Record<TaskStatus, number>;
    const capped: TaskStatus[] = [];
    for (const status of TASK_STATUSES) {
      const n = counts?.[status] ?? 0;
      statuses[status] = Math.min(n, cap);
      if (n > cap) capped.push(status);
    }
    const total = Object.values(statuses).reduce((a, b) => a + b, 0);
    return c.json({ statuses, total, cap, capped }, 200);
  },
);
