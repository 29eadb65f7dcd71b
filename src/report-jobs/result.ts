// Opening a job's result for reading: streams it from R2 when the job is Completed, otherwise says
// why it cannot (still running, failed, expired), so each API can answer in its own error style.
import type { User } from "../shared/user";
import type { Column } from "../shared/report-column";
import { jobColumns, jobError, jobStatus, type ReportJob, type ReportJobStatus } from "./jobs";

/** A readable result, or why there is none (each API answers these in its own error style). */
export type OpenedResult =
  | { kind: "ready"; stored: ReadableStream<Uint8Array>; columns: Column[]; rowCount: number | null }
  | { kind: "running"; status: ReportJobStatus }
  | { kind: "failed"; message: string }
  | { kind: "expired" };

/** Opens the stored result of a job the viewer may see. */
export async function openResult(env: Env, rj: ReportJob, viewer: User, now = Date.now()): Promise<OpenedResult> {
  const status = jobStatus(rj.task);
  if (status === "Queued" || status === "Started") return { kind: "running", status };
  if (status === "Error") return { kind: "failed", message: jobError(rj, viewer) ?? "the report failed" };
  const { job } = rj;
  if (job.r2Key === null || job.expiresAt <= now) return { kind: "expired" };
  const object = await env.RESULTS.get(job.r2Key);
  if (object === null) return { kind: "expired" };
  return {
    kind: "ready",
    stored: object.body as ReadableStream<Uint8Array>,
    columns: jobColumns(job),
    rowCount: job.rowCount,
  };
}
