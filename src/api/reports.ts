// /api/v1/reports and /api/v1/report-jobs: list reports, start a prepared report job, read its status
// (with a ?wait= long poll), stream its result as JSON, CSV or NDJSON, and cancel it.
import { createRoute, z } from "@hono/zod-openapi";
import { Report as ReportInfo, ReportJob as ReportJobJson, ReportJobStart } from "../contract/reports";
import { parseFilters } from "../reports/filters";
import {
  MAX_WAIT_S,
  getVisibleJob,
  reportJobJson,
  startReportJob,
  waitForJob,
  type ReportJob,
} from "../report-jobs/jobs";
import { CONTENT_TYPES, RESULT_FORMATS, publicColumns, resultBody } from "../reports/reader";
import { reportRoles } from "../reports/define";
import { getReport, listReports } from "../reports/registry";
import { openResult } from "../report-jobs/result";
import { conflict, gone, notFound } from "../shared/errors";
import { hasAnyRole, type User } from "../shared/user";
import { performAction } from "../tasks/actions";
import { jsonSchema } from "./methods";
import { errorResponse, errorResponses, json, pathParam, router } from "./router";
import { requestTrace } from "./trace-context";

/** Seconds a client should wait before asking for a result that is still being generated. */
const RETRY_AFTER_S = 2;

const ReportName = z.object({ report_name: pathParam("report_name", 140, "Demo Numbers") });
const JobId = z.object({ job_id: pathParam("job_id", 64) });

/** A visible job or 404 (other users' jobs look exactly like missing ones). */
async function visibleJob(env: Env, user: User, jobId: string): Promise<ReportJob> {
  const job = await getVisibleJob(env, user, jobId);
  if (!job) throw notFound(`report job ${jobId}`);
  return job;
}

/** /api/v1/reports: list reports, start jobs. */
export const reportsApi = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Registered reports, with their filters and columns",
      responses: {
        200: json(z.object({ data: z.array(ReportInfo), next_cursor: z.null() }), "Reports"),
        ...errorResponses,
      },
    }),
    (c) => {
      const user = c.get("user");
      const data = listReports(c.env).map((r) => {
        const roles = reportRoles(r);
        return {
          name: r.name,
          description: r.description ?? null,
          roles: [...roles],
          can_run: hasAnyRole(user, roles),
          filters_schema: jsonSchema(r.filters),
          columns: publicColumns(r.columns),
        };
      });
      return c.json({ data, next_cursor: null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{report_name}/jobs",
      summary:
        "Start a prepared report job (or get the identical running or recent one; `fresh: true` never reuses a finished one)",
      request: {
        params: ReportName,
        body: {
          required: false,
          content: {
            "application/json": {
              schema: ReportJobStart,
            },
          },
        },
      },
      responses: {
        202: json(
          ReportJobJson,
          "Accepted: the job (new, or reused — then `reused` is true and `reused_from` says since when)",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get("user");
      const { report_name } = c.req.valid("param");
      const report = getReport(report_name, c.env);
      if (!report) throw notFound(`report ${report_name}`);
      const body = c.req.valid("json");
      const filters = parseFilters(report, body.filters ?? {});
      const trace = requestTrace(c.req.raw);
      const started = await startReportJob(c.env, user, report, filters, Date.now(), {
        fresh: body.fresh,
        ...(trace ? { trace } : {}),
      });
      c.header("Location", `/api/v1/report-jobs/${started.job.jobId}`);
      c.header("Cache-Control", "no-store");
      return c.json(reportJobJson(started, user), 202);
    },
  );

/** /api/v1/report-jobs: status (long poll), result, cancel. */
export const reportJobsApi = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/{job_id}",
      summary: "A report job's status; `wait` (seconds, ≤ 25) long-polls until it ends",
      request: {
        params: JobId,
        query: z.object({ wait: z.coerce.number().min(0).max(MAX_WAIT_S).optional() }),
      },
      responses: { 200: json(ReportJobJson, "The job"), ...errorResponses },
    }),
    async (c) => {
      const user = c.get("user");
      const rj = await visibleJob(c.env, user, c.req.valid("param").job_id);
      const after = await waitForJob(c.env, rj, c.req.valid("query").wait ?? 0, user);
      c.header("Cache-Control", "no-store");
      return c.json(reportJobJson(after, user), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{job_id}/result",
      summary: "The job's result, streamed as JSON ({message: {columns, result}}), CSV or NDJSON",
      request: {
        params: JobId,
        query: z.object({ format: z.enum(RESULT_FORMATS).default("json") }),
      },
      responses: {
        200: {
          description: "The result",
          content: {
            "application/json": { schema: z.unknown() },
            "text/csv": { schema: z.string() },
            "application/x-ndjson": { schema: z.string() },
          },
        },
        202: json(ReportJobJson, "Still running: try again after Retry-After seconds"),
        ...errorResponses,
        409: errorResponse(409, "The job ended in Error"),
        410: errorResponse(410, "The result has expired"),
      },
    }),
    async (c) => {
      const user = c.get("user");
      const { job_id } = c.req.valid("param");
      const { format } = c.req.valid("query");
      const rj = await visibleJob(c.env, user, job_id);
      const opened = await openResult(c.env, rj, user);
      c.header("Cache-Control", "no-store");
      switch (opened.kind) {
        case "running":
          c.header("Retry-After", String(RETRY_AFTER_S));
          return c.json(reportJobJson(rj, user), 202);
        case "failed":
          throw conflict(`report job ${job_id} ended in Error: ${opened.message}`, undefined, "report_failed");
        case "expired":
          throw gone("result_expired", `the result of report job ${job_id} has expired; start the report again`);
        case "ready": {
          c.header("Content-Type", CONTENT_TYPES[format]);
          if (opened.rowCount !== null) c.header("X-Row-Count", String(opened.rowCount));
          if (format === "csv") {
            const file = `${rj.job.report.replace(/[^A-Za-z0-9_-]+/g, "-")}-${job_id}.csv`;
            c.header("Content-Disposition", `attachment; filename="${file}"`);
          }
          return c.body(resultBody(opened.stored, opened.columns, format), 200);
        }
      }
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{job_id}/cancel",
      summary: "Cancel a report job (a running one stops writing and ends in Error)",
      request: { params: JobId },
      responses: {
        200: json(ReportJobJson, "The job after the cancel"),
        ...errorResponses,
        409: errorResponse(409, "The job has already ended"),
      },
    }),
    async (c) => {
      const user = c.get("user");
      const { job_id } = c.req.valid("param");
      const rj = await visibleJob(c.env, user, job_id);
      const [canceled] = await performAction(c.env, "cancel", [job_id], {
        message: `canceled by ${user.name}`,
      });
      if (!canceled) throw conflict(`cannot cancel a report job that is ${rj.task?.status ?? "gone"}`);
      return c.json(reportJobJson({ job: rj.job, task: canceled }, user), 200);
    },
  );
