// Frappe Tweaks' report_long_polling API (start_job, check_status, get_result) on the same paths and
// with the same {"message": …} bodies, so Power Query code written for it works by changing the base
// URL. Unlike the original, unknown reports and jobs fail at once, check_status waits event-driven,
// and get_result never answers an empty table for a job that failed or is still running.
import { Hono } from "hono";
import { z } from "zod";
import { filtersFromArgs, parseFilters } from "../reports/filters";
import { getVisibleJob, jobEnded, startReportJob, waitForJob, type ReportJob } from "../reports/jobs";
import { CONTENT_TYPES, resultBody } from "../reports/reader";
import { getReport } from "../reports/registry";
import { openResult } from "../reports/result";
import type { AppEnv, User } from "./context";
import { ApiError, badRequest, notFound, zodFailure } from "./errors";
import { frappeArgs } from "./frappe";

const PREFIX = "/tweaks.utils.report_long_polling";

const CheckArgs = z.object({
  job_id: z.string().min(1).max(64),
  attempts: z.coerce.number().int().min(1).max(1000).default(2),
  sleep: z.coerce.number().min(0).max(3600).default(5),
});
const JobArgs = z.object({ job_id: z.string().min(1).max(64) });

function parseArgs<S extends z.ZodType>(schema: S, args: Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw zodFailure("validation_failed", "invalid arguments", parsed.error);
  return parsed.data;
}

async function visibleJob(env: Env, user: User, jobId: string): Promise<ReportJob> {
  const job = await getVisibleJob(env, user, jobId);
  if (!job) throw notFound(`Prepared Report ${jobId}`);
  return job;
}

/** start_job, check_status and get_result under /api/method (mounted beside frappeApi). */
export const reportLongPollingApi = new Hono<AppEnv>()
  .on(["GET", "POST"], `${PREFIX}.start_job`, async (c) => {
    const args = await frappeArgs(c);
    const name = args.report_name;
    if (typeof name !== "string" || name === "") throw badRequest("validation_failed", "report_name is required");
    const report = getReport(name, c.env);
    if (!report) throw notFound(`Report ${name}`);
    const filters = parseFilters(report, filtersFromArgs(report, args));
    const { job } = await startReportJob(c.env, c.get("user"), report, filters);
    c.header("Cache-Control", "no-store");
    return c.json({ message: job.jobId });
  })
  .on(["GET", "POST"], `${PREFIX}.check_status`, async (c) => {
    const { job_id, attempts, sleep } = parseArgs(CheckArgs, await frappeArgs(c));
    const user = c.get("user");
    const rj = await visibleJob(c.env, user, job_id);
    // Frappe polls `attempts` times with `sleep` seconds between: at most (attempts − 1) × sleep,
    // here capped at 25 s; the wait ends the moment the job does.
    const after = await waitForJob(c.env, rj, (attempts - 1) * sleep, user);
    c.header("Cache-Control", "no-store");
    return c.json({ message: jobEnded(after) ? 1 : 0 });
  })
  .on(["GET", "POST"], `${PREFIX}.get_result`, async (c) => {
    const { job_id } = parseArgs(JobArgs, await frappeArgs(c));
    const user = c.get("user");
    const rj = await visibleJob(c.env, user, job_id);
    const opened = await openResult(c.env, rj, user);
    switch (opened.kind) {
      case "running":
        throw new ApiError(
          409,
          "still_running",
          `Prepared Report ${job_id} is still being generated (${opened.status}); call check_status until it returns 1`,
        );
      case "failed":
        throw new ApiError(409, "report_failed", `Prepared Report ${job_id} ended in Error: ${opened.message}`);
      case "expired":
        throw new ApiError(
          410,
          "result_expired",
          `the result of Prepared Report ${job_id} has expired; start the job again`,
        );
      case "ready":
        c.header("Content-Type", CONTENT_TYPES.json);
        c.header("Cache-Control", "no-store");
        return c.body(resultBody(opened.stored, opened.columns, "json"), 200);
    }
  });
