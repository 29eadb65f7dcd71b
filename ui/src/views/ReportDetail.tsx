// One prepared report: its filter form, the live status of the job it starts (progress over the
// WebSocket — a report job is a task — polled while realtime is unavailable), whether that job was
// reused from an earlier identical run (with a way to ask for a fresh one), downloads as CSV / JSON /
// NDJSON, and recent jobs.
import { useState } from "preact/hooks";
import { api, client, errorText, query } from "../api";
import { Described } from "../components/Described";
import { LiveStatus } from "../components/LiveStatus";
import { ProgressBar } from "../components/ProgressBar";
import { Empty, ErrorBox, Loading } from "../components/States";
import { StatusPill } from "../components/StatusPill";
import { formatDuration, formatRelative, formatShort } from "../format";
import { useResource } from "../hooks";
import { usePollWhileOffline, useTaskEvents, type LiveState } from "../live";
import { href } from "../router";
import type { ViewProps } from "../routes";
import type { Page, ReportInfo, ReportJob } from "../types";
import { FilterForm } from "./FilterForm";

const ENDED = new Set(["Completed", "Error"]);

/** The page of one report: form, current job, recent jobs. */
export function ReportDetail({ params }: ViewProps) {
  const name = params.name ?? "";
  const reports = useResource<Page<ReportInfo>>("/api/v1/reports");
  const recent = useResource<Page<ReportJob>>(`/api/v1/report-jobs${query({ report: name, limit: 10 })}`);
  const [job, setJob] = useState<ReportJob | null>(null);
  /** The filters of the last start, for "Run fresh". */
  const [filters, setFilters] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refreshJob = async (jobId: string) => {
    const next = await api<ReportJob>("GET", `/api/v1/report-jobs/${encodeURIComponent(jobId)}`);
    // Only the start's answer says whether the job was reused: keep that across status reads.
    setJob((j) => (j?.job_id === next.job_id ? { ...next, reused: j.reused, reused_from: j.reused_from } : next));
    if (ENDED.has(next.status)) void recent.reload();
  };
  const connection = useTaskEvents(job?.job_id ?? "", job !== null && !ENDED.has(job.status), (event) => {
    setJob((j) => (j ? { ...j, progress: event.progress } : j));
    if (job && event.status !== job.task_status) void refreshJob(job.job_id).catch(() => undefined);
  });
  usePollWhileOffline(connection, () => {
    if (job) void refreshJob(job.job_id).catch(() => undefined);
  });

  const start = async (given: Record<string, unknown>, fresh = false) => {
    setBusy(true);
    setError(null);
    try {
      const started = await client.startReport(name, { filters: given, ...(fresh ? { fresh } : {}) });
      // A status read keeps what only the start's answer says (reused, and since when).
      setJob(started);
      setFilters(given);
      void recent.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (reports.error) return <ErrorBox error={reports.error} />;
  if (!reports.data) return <Loading what="Loading report" />;
  const report = reports.data.data.find((r) => r.name === name);
  if (!report) return <ErrorBox error={new Error(`No report named ${name}`)} />;
  // The API would refuse the job; the page says so before the form is filled in.
  if (!report.can_run) {
    return <ErrorBox error={new Error(`The report ${name} is not available to your roles.`)} />;
  }
  return (
    <article class="detail" aria-labelledby="report-title">
      <p class="crumbs">
        <a href={href("/reports")}>Reports</a> / {report.name}
      </p>
      <h1 id="report-title">{report.name}</h1>
      <p class="muted">
        <Described text={report.description} />
      </p>
      <section class="card">
        <h2>Filters</h2>
        <FilterForm schema={report.filters_schema} busy={busy} onSubmit={(f) => void start(f)} />
        {error ? <ErrorBox error={new Error(error)} /> : null}
      </section>
      {job ? (
        <JobCard
          job={job}
          connection={connection}
          busy={busy}
          onFresh={filters === null ? null : () => void start(filters, true)}
        />
      ) : null}
      <section class="card">
        <h2>Recent jobs</h2>
        {recent.data && recent.data.data.length === 0 ? (
          <Empty>No jobs yet: run the report with the filters above.</Empty>
        ) : null}
        {recent.data && recent.data.data.length > 0 ? (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Status</th>
                  <th>Filters</th>
                  <th class="num">Rows</th>
                  <th>Created</th>
                  <th class="num">Took</th>
                  <th>Download</th>
                </tr>
              </thead>
              <tbody>
                {recent.data.data.map((j) => (
                  <tr key={j.job_id} data-job={j.job_id}>
                    <td class="mono">
                      <a href={href(`/tasks/${j.job_id}`)}>{j.job_id.slice(-8)}</a>
                    </td>
                    <td>
                      <StatusPill status={j.status} />
                    </td>
                    <td class="mono small">{JSON.stringify(j.filters)}</td>
                    <td class="num">{j.row_count ?? "—"}</td>
                    <td>{formatShort(j.created_at)}</td>
                    <td class="num">{formatDuration(j.time_taken)}</td>
                    <td>{j.status === "Completed" ? <Downloads jobId={j.job_id} /> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </article>
  );
}

function JobCard({
  job,
  connection,
  busy,
  onFresh,
}: {
  job: ReportJob;
  connection: LiveState;
  busy: boolean;
  onFresh: (() => void) | null;
}) {
  const p = job.progress;
  return (
    <section class="card" aria-label="Current job" data-testid="report-job" data-status={job.status}>
      <h2>
        Job <span class="mono">{job.job_id}</span> <StatusPill status={job.status} /> <LiveStatus state={connection} />
      </h2>
      {job.reused ? (
        <p class="notice" data-testid="report-reused">
          Reused: from a run {job.reused_from ? formatRelative(job.reused_from) : "earlier"} with the same filters
          {ENDED.has(job.status) ? "" : " (still running)"}.{" "}
          {onFresh && ENDED.has(job.status) ? (
            <button type="button" class="btn btn-small" disabled={busy} onClick={onFresh}>
              Run fresh
            </button>
          ) : null}
        </p>
      ) : null}
      <ProgressBar
        count={job.status === "Completed" ? (job.row_count ?? p?.count) : p?.count}
        total={job.status === "Completed" ? (job.row_count ?? p?.total) : p?.total}
        description={p?.description ?? null}
        label="Report progress"
        idle={job.status !== "Started"}
      />
      {job.error ? (
        <pre class="json error-text" role="alert">
          {job.error}
        </pre>
      ) : null}
      {job.status === "Completed" ? (
        <p>
          {job.row_count ?? 0} rows · <Downloads jobId={job.job_id} />
        </p>
      ) : null}
    </section>
  );
}

function Downloads({ jobId }: { jobId: string }) {
  const base = `/api/v1/report-jobs/${encodeURIComponent(jobId)}/result?format=`;
  return (
    <span class="downloads">
      {(["csv", "json", "ndjson"] as const).map((f) => (
        <a key={f} class="btn btn-small" href={`${base}${f}`} download={`${jobId}.${f}`}>
          {f.toUpperCase()}
        </a>
      ))}
    </span>
  );
}
