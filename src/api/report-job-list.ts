// GET /api/v1/report-jobs: recent prepared report jobs (own; System Managers see everyone's), for the
// console's report page. Jobs expire with their results, so the list stays short.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { inJson } from "../db/in-json";
import { reportJobs, tasks } from "../db/schema";
import { reportJobJson } from "../reports/jobs";
import { isSystemManager, type AppEnv } from "./context";
import { validationHook } from "./errors";
import { errorResponses, json } from "./schemas";

export const reportJobListApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
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
      200: json(z.object({ data: z.array(z.unknown()), next_cursor: z.null() }), "Recent jobs"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const user = c.get("user");
    const q = c.req.valid("query");
    const db = getDb(c.env);
    const jobs = await db
      .select()
      .from(reportJobs)
      .where(
        and(
          isSystemManager(user) ? undefined : eq(reportJobs.owner, user.name),
          q.report === undefined ? undefined : eq(reportJobs.report, q.report),
        ),
      )
      .orderBy(desc(reportJobs.createdAt))
      .limit(q.limit);
    // Two reads, not a join: both tables have job_id/created_at columns (see reports/jobs.ts).
    const rows =
      jobs.length === 0
        ? []
        : await db
            .select()
            .from(tasks)
            .where(
              inJson(
                tasks.name,
                jobs.map((j) => j.jobId),
              ),
            );
    const byName = new Map(rows.map((t) => [t.name, t]));
    const data = jobs.map((job) => reportJobJson({ job, task: byName.get(job.jobId) ?? null }, user));
    return c.json({ data, next_cursor: null }, 200);
  },
);
