// GET /api/v1/report-jobs: recent prepared report jobs (own; System Managers see everyone's), for the
// console's report page. Jobs expire with their results, so the list stays short.
import { createRoute, z } from "@hono/zod-openapi";
import { ReportJob } from "../contract/reports";
import { recentJobs, reportJobJson } from "../reports/jobs";
import { errorResponses, json, router } from "./router";

export const reportJobListApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Recent report jobs, newest first (own jobs; System Managers see all)",
    request: {
      query: z.object({
        report: z.string().min(1).max(140).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
      }),
    },
    responses: {
      200: json(z.object({ data: z.array(ReportJob), next_cursor: z.null() }), "Recent jobs"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const user = c.get("user");
    const { report, limit } = c.req.valid("query");
    const jobs = await recentJobs(c.env, user, report, limit);
    return c.json({ data: jobs.map((job) => reportJobJson(job, user)), next_cursor: null }, 200);
  },
);
