// Prepared report jobs in D1: starting one (or reusing an identical running or fresh one, race-free),
// reading one with its task, the status Frappe clients see, and the job's public JSON.
import { and, desc, eq, type SQL } from "drizzle-orm";
import { getDb } from "../db/client";
import { dbErrorMentions } from "../db/errors";
import { reportJobs, type ReportJobRow } from "../db/schema";
import { enqueueIn, placeTasks } from "../live/client";
import { readTask, readTasks } from "../live/read";
import type { TaskRecord } from "../live/store";
import { config } from "../shared/config";
import { forbidden, rateLimited } from "../shared/errors";
import { canonicalJson, fromJson, sha256Hex } from "../shared/json";
import type { Column } from "../shared/report-column";
import { isEnded } from "../shared/states";
import { hasAnyRole, isSystemManager, type User } from "../shared/user";
import { buildTask, newTaskName } from "../tasks/enqueue";
import { MethodResolver } from "../tasks/resolve";
import { errorSummary } from "../shared/errors";
import { TaskSpec } from "../tasks/spec";
import { reportRoles, type ReportDefinition } from "../reports/define";
import { reportMethodName } from "../reports/run";
import type { TraceContext } from "../shared/trace";

/** The statuses of a prepared report, as Frappe names them. */
export const ReportJobStatus = {
  Queued: "Queued",
  Started: "Started",
  Completed: "Completed",
  Error: "Error",
} as const;
export type ReportJobStatus = (typeof ReportJobStatus)[keyof typeof ReportJobStatus];

/** A job with its task as it is now (null when retention already deleted the task). */
export interface ReportJob {
  job: ReportJobRow;
  task: TaskRecord | null;
}

/**
 * The job's status, derived from its task so there is one source of truth: Finished → Completed;
 * Canceled, or Failed with no retry left → Error; Started → Started; anything else → Queued.
 */
export function jobStatus(task: Pick<TaskRecord, "status" | "wakeAt"> | null): ReportJobStatus {
  if (task === null) return "Error";
  if (task.status === "Finished") return "Completed";
  if (task.status === "Started") return "Started";
  if (isEnded(task)) return "Error";
  return "Queued";
}

/** True when the job has ended (Completed or Error): what check_status answers 1 for. */
export const jobEnded = (job: ReportJob) => {
  const status = jobStatus(job.task);
  return status === "Completed" || status === "Error";
};

/** Whether identical requests may still share the job: it runs, or finished within the window. */
function reusable({ job, task }: ReportJob, now: number, freshMs: number): boolean {
  if (task === null) return false;
  if (task.status === "Finished") {
    return job.r2Key !== null && (task.endedAt ?? 0) >= now - freshMs && job.expiresAt > now;
  }
  return !isEnded(task);
}

/** The job row matching `where` (at most one) with its task as it is now (from its object, or the log). */
async function readJob(env: Env, where: SQL | undefined): Promise<ReportJob | null> {
  const [job] = await getDb(env).select().from(reportJobs).where(where).limit(1);
  if (!job) return null;
  return { job, task: await readTask(env, job.jobId) };
}

/** The job and its task, or null. */
export function getReportJob(env: Env, jobId: string): Promise<ReportJob | null> {
  return readJob(env, eq(reportJobs.jobId, jobId));
}

/** The job if `user` may see it (its owner or a System Manager), else null — callers answer 404. */
export async function getVisibleJob(env: Env, user: User, jobId: string): Promise<ReportJob | null> {
  const job = await getReportJob(env, jobId);
  return job && (isSystemManager(user) || job.job.owner === user.name) ? job : null;
}

/** The most recent jobs `user` may see (own; a System Manager's: everyone's), newest first, with their tasks. */
export async function recentJobs(
  env: Env,
  user: User,
  report: string | undefined,
  limit: number,
): Promise<ReportJob[]> {
  const db = getDb(env);
  const jobs = await db
    .select()
    .from(reportJobs)
    .where(
      and(
        isSystemManager(user) ? undefined : eq(reportJobs.owner, user.name),
        report === undefined ? undefined : eq(reportJobs.report, report),
      ),
    )
    .orderBy(desc(reportJobs.createdAt))
    .limit(limit);
  if (jobs.length === 0) return [];
  const rows = await readTasks(
    env,
    jobs.map((j) => j.jobId),
  );
  const byName = new Map(rows.map((t) => [t.name, t]));
  return jobs.map((job) => ({ job, task: byName.get(job.jobId) ?? null }));
}

/** Longest a status request may wait for the job to end (stays well under client timeouts). */
export const MAX_WAIT_S = 25;

/**
 * Waits up to `seconds` for the job to end, event-driven (the owner's realtime hub wakes the wait
 * the moment the task's final status is written). Returns the job as it is afterwards. The wait
 * holds one of the caller's API key's long-poll slots (429 when all are taken).
 */
export async function waitForJob(env: Env, rj: ReportJob, seconds: number, caller: User): Promise<ReportJob> {
  if (seconds <= 0 || jobEnded(rj)) return rj;
  const ms = Math.min(seconds, MAX_WAIT_S) * 1000;
  const callerHub = env.REALTIME.getByName(caller.name);
  const hold = crypto.randomUUID();
  const max = config(env).maxLongPollsPerKey;
  if (!(await callerHub.holdLongPoll(caller.key, hold, Date.now() + ms + 5_000, max))) {
    throw rateLimited(`this API key already holds ${max} long polls open; wait for one to return`, 5);
  }
  try {
    await env.REALTIME.getByName(rj.job.owner).waitForEnd(rj.job.jobId, ms);
  } finally {
    await callerHub.releaseLongPoll(caller.key, hold);
  }
  return (await getReportJob(env, rj.job.jobId)) ?? rj;
}

/**
 * Starts a job of `report` with parsed `filters` for `user`, or returns the identical job (same
 * owner, report and filters) that is running or finished within the freshness window — with
 * `fresh`, only one still running (a finished result is not reused: Frappe's Rebuild). The one
 * reusable job per request is held by a unique index, so concurrent identical starts insert at most
 * one job; the losers see the constraint fail and read the winner. Throws `forbidden` when the
 * user may not run the report.
 */
export async function startReportJob(
  env: Env,
  user: User,
  report: ReportDefinition,
  filters: Record<string, unknown>,
  now = Date.now(),
  options: { fresh?: boolean; trace?: TraceContext } = {},
): Promise<ReportJob & { created: boolean }> {
  const roles = reportRoles(report);
  if (!hasAnyRole(user, roles)) {
    throw forbidden(`you may not run report ${report.name} (needs one of: ${roles.join(", ")})`);
  }
  const db = getDb(env);
  const cfg = config(env);
  const filtersJson = canonicalJson(filters);
  const filtersHash = await sha256Hex(filtersJson);
  const same = and(
    eq(reportJobs.owner, user.name),
    eq(reportJobs.report, report.name),
    eq(reportJobs.filtersHash, filtersHash),
    eq(reportJobs.reusable, true),
  );
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readJob(env, same);
    if (existing) {
      const running = existing.task !== null && !isEnded(existing.task);
      if ((running || !options.fresh) && reusable(existing, now, cfg.reportFreshMs)) {
        return { ...existing, created: false };
      }
      // Stale or failed: give up the mark (compare-and-set, so racing starters agree).
      await db
        .update(reportJobs)
        .set({ reusable: false })
        .where(and(eq(reportJobs.jobId, existing.job.jobId), eq(reportJobs.reusable, true)));
    }
    const spec = TaskSpec.parse({
      method: reportMethodName(report.name),
      job_name: report.name,
      arguments: { filters },
    });
    const method = (await MethodResolver.load(env, [])).resolve(spec);
    const [row] = await placeTasks(env, [
      buildTask(spec, user, env, now, method, await newTaskName(env, method.method, now), {
        platform: true,
        ...(options.trace ? { trace: options.trace } : {}),
      }),
    ]);
    if (!row) throw new Error("placing a task lost it");
    let job: ReportJobRow | undefined;
    try {
      // The job first: its task, once it runs, writes its result to this row.
      [job] = await db
        .insert(reportJobs)
        .values({
          jobId: row.name,
          report: report.name,
          owner: user.name,
          filters: filtersJson,
          filtersHash,
          createdAt: now,
          expiresAt: now + cfg.reportResultTtlMs,
        })
        .returning();
    } catch (error) {
      if (!dbErrorMentions(error, "UNIQUE constraint failed")) throw error;
      // An identical start won the race: the next round reads its job.
      continue;
    }
    if (!job) throw new Error(`could not insert report job ${row.name}`);
    // If this never arrives, the job reads as an error with no task and stops being reused.
    const [inserted] = await enqueueIn(env, row.method, [row]);
    return { job, task: inserted?.task ?? null, created: true };
  }
  throw new Error(`could not start report ${report.name}: too much contention`);
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** The columns a finished job's result was written with. */
export function jobColumns(job: ReportJobRow): Column[] {
  return job.columns === null ? [] : fromJson(job.columns);
}

/** The error a failed job shows: the message (with the stack for System Managers). */
export function jobError({ task }: ReportJob, viewer: User): string | null {
  if (task === null) return "the job's task no longer exists";
  if (task.status === "Canceled") return `canceled${task.statusMessage ? `: ${task.statusMessage}` : ""}`;
  if (jobStatus(task) !== "Error") return null;
  return isSystemManager(viewer) ? task.errorMessage : errorSummary(task.errorMessage);
}

/** The job as the REST API shows it. */
export function reportJobJson(rj: ReportJob & { created?: boolean }, viewer: User) {
  const { job, task } = rj;
  const base = `/api/v1/report-jobs/${job.jobId}`;
  return {
    job_id: job.jobId,
    report: job.report,
    owner: job.owner,
    filters: fromJson(job.filters),
    status: jobStatus(task),
    task_status: task?.status ?? null,
    // Only the answer to a start says whether it reused a job, and since when that job exists.
    ...(rj.created === undefined ? {} : { reused: !rj.created, reused_from: rj.created ? null : iso(job.createdAt) }),
    progress: task?.progress ? fromJson(task.progress) : null,
    row_count: job.rowCount,
    bytes: job.bytes,
    error: jobError(rj, viewer),
    created_at: iso(job.createdAt),
    started_at: iso(task?.startedAt),
    ended_at: iso(task?.endedAt),
    time_taken: task?.timeTaken ?? null,
    expires_at: iso(job.expiresAt),
    links: {
      self: base,
      result: `${base}/result`,
      cancel: `${base}/cancel`,
      task: `/api/v1/tasks/${job.jobId}`,
    },
  };
}
