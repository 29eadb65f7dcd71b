// The task handler of a prepared report job (method `report:<name>`): runs the report, streams its
// rows into R2 and records where the result is, how many rows and how many bytes.
import { eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "../db/client";
import { reportJobs } from "../db/schema";
import { config } from "../shared/config";
import { PermanentError, type ResolvedMethod, type TaskContext } from "../methods/registry";
import { describeError, log } from "../shared/log";
import type { Progress } from "../shared/states";
import { toJson } from "../shared/json";
import { reportRoles, type ReportContext, type ReportDefinition } from "./define";
import { writeRows } from "./writer";

/** Where a job's result lives in the RESULTS bucket. */
export const resultKey = (jobId: string) => `reports/${jobId}.ndjson.gz`;

/** The task method string of a report. */
export const reportMethodName = (reportName: string) => `report:${reportName}`;

/** Runs one attempt of a report job; returns the small summary stored as the task's result. */
export async function runReportJob(
  report: ReportDefinition,
  filters: unknown,
  ctx: TaskContext,
): Promise<{ row_count: number; bytes: number }> {
  const db = getDb(ctx.env);
  const [job] = await db.select({ jobId: reportJobs.jobId }).from(reportJobs).where(eq(reportJobs.jobId, ctx.name));
  if (!job) {
    throw new PermanentError(
      `a report runs only as a report job: start it with POST /api/v1/reports/{report_name}/jobs`,
    );
  }
  let total: number | undefined;
  // Reports call progress synchronously; a rejected write (nonsense values) is logged, never left
  // as an unhandled rejection.
  const sendProgress = (p: Progress) => {
    ctx
      .progress(p)
      .catch((error: unknown) => log.warn("report progress refused", { job: ctx.name, ...describeError(error) }));
  };
  const reportCtx: ReportContext = {
    jobId: ctx.name,
    owner: ctx.owner,
    signal: ctx.signal,
    env: ctx.env,
    progress: (p: Progress) => {
      if (p.total !== undefined) total = p.total;
      sendProgress(p);
    },
    log: (...parts) => ctx.log(...parts),
  };
  const key = resultKey(ctx.name);
  const { rowCount, bytes } = await writeRows(ctx.env.RESULTS, key, report.columns, report.run(filters, reportCtx), {
    signal: ctx.signal,
    onRows: (count) =>
      sendProgress({ count, ...(total === undefined ? {} : { total }), description: `${count} rows written` }),
  });
  const now = Date.now();
  await db
    .update(reportJobs)
    .set({
      r2Key: key,
      columns: toJson([...report.columns]),
      rowCount,
      bytes,
      resultAt: now,
      expiresAt: now + config(ctx.env).reportResultTtlMs,
    })
    .where(eq(reportJobs.jobId, ctx.name));
  ctx.log(`wrote ${rowCount} rows (${bytes} bytes compressed) to ${key}`);
  return { row_count: rowCount, bytes };
}

/** The registry entry that runs `report` as a task: long queue, the report's roles. */
export function reportMethod(report: ReportDefinition): ResolvedMethod {
  const args = z.strictObject({ filters: report.filters });
  return {
    method: reportMethodName(report.name),
    args,
    roles: reportRoles(report),
    queue: "long",
    timeout: report.timeout,
    description: report.description ?? `Prepared report ${report.name}`,
    demo: report.demo ?? false,
    itemTask: false,
    startedBy: `POST /api/v1/reports/{report_name}/jobs (or Frappe's report_long_polling.start_job)`,
    run: (parsed, ctx) => runReportJob(report, (parsed as z.output<typeof args>).filters, ctx),
  };
}
