// Frappe Tweaks' report_long_polling API (start_job, check_status, get_result) on the same paths and
// with the same {"message": …} bodies, so Power Query code written for it works by changing the base
// URL. Unlike the original, unknown reports and jobs fail at once, check_status waits event-driven,
// and get_result never answers an empty table for a job that failed or is still running.
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { filtersFromArgs, parseFilters } from "../reports/filters";
import { getVisibleJob, jobEnded, startReportJob, waitForJob, type ReportJob } from "../report-jobs/jobs";
import { CONTENT_TYPES, resultBody } from "../reports/reader";
import { getReport } from "../reports/registry";
import { openResult } from "../report-jobs/result";
import { conflict, gone, invalid, invalidInput, notFound } from "../shared/errors";
import type { User } from "../shared/user";
import type { AppEnv } from "./context";
import { documentFrappePath, frappeArgs } from "./frappe";
import { requestTrace } from "./trace-context";

const PREFIX = "/tweaks.utils.report_long_polling";

const StartArgs = z.object({ report_name: z.string().min(1).max(140) }).catchall(z.string());
const CheckArgs = z.object({
  job_id: z.string().min(1).max(64),
  attempts: z.coerce.number().int().min(1).max(1000).default(2),
  sleep: z.coerce.number().min(0).max(3600).default(5),
});
const JobArgs = z.object({ job_id: z.string().min(1).max(64) });

function parseArgs<S extends z.ZodType>(schema: S, args: Record<string, unknown>): z.output<S> {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw invalidInput("validation_failed", "invalid arguments", parsed.error);
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
    if (typeof name !== "string" || name === "") throw invalid("validation_failed", "report_name is required");
    const report = getReport(name, c.env);
    if (!report) throw notFound(`Report ${name}`);
    const filters = parseFilters(report, filtersFromArgs(report, args));
    const trace = requestTrace(c.req.raw);
    const { job } = await startReportJob(c.env, c.get("user"), report, filters, Date.now(), trace ? { trace } : {});
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
        throw conflict(
          `Prepared Report ${job_id} is still being generated (${opened.status}); call check_status until it returns 1`,
          undefined,
          "still_running",
        );
      case "failed":
        throw conflict(`Prepared Report ${job_id} ended in Error: ${opened.message}`, undefined, "report_failed");
      case "expired":
        throw gone("result_expired", `the result of Prepared Report ${job_id} has expired; start the job again`);
      case "ready":
        c.header("Content-Type", CONTENT_TYPES.json);
        c.header("Cache-Control", "no-store");
        return c.body(resultBody(opened.stored, opened.columns, "json"), 200);
    }
  });

/** The three long-polling paths in the OpenAPI document. */
export function documentLongPolling(registry: OpenAPIHono<AppEnv>["openAPIRegistry"]) {
  documentFrappePath(
    registry,
    `${PREFIX}.start_job`,
    "Start a prepared report job (or reuse the identical running or fresh one); every other parameter is a filter",
    StartArgs,
    z.string().openapi({ description: "the job id" }),
  );
  documentFrappePath(
    registry,
    `${PREFIX}.check_status`,
    "1 once the job has ended (Completed or Error), else 0 after waiting up to (attempts − 1) × sleep s (≤ 25 s)",
    CheckArgs,
    z.union([z.literal(0), z.literal(1)]),
  );
  documentFrappePath(
    registry,
    `${PREFIX}.get_result`,
    "The result: { columns, result } with rows as records; an error for a failed, running or expired job",
    JobArgs,
    z.object({ columns: z.array(z.unknown()), result: z.array(z.record(z.string(), z.unknown())) }),
  );
}
