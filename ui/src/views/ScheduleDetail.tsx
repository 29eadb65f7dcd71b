// One scheduled job: its definition, counters and next runs in its own zone and the viewer's, the run
// log with the tasks each run created (and each run's lag, its messages' task names linked), and run
// now / stop / start / skip — the API's words — plus edit and delete for schedules made through the
// API (code schedules change with a deploy). Every action asks first.
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { Field } from "../components/Field";
import { JsonView } from "../components/JsonView";
import { Linked } from "../components/Linked";
import { Empty, ErrorBox, Loading } from "../components/States";
import { StatusPill } from "../components/StatusPill";
import { formatDateTime, formatDuration, formatInViewerZone, formatRelative, formatZoned } from "../format";
import { useInterval, useResource } from "../hooks";
import { href, navigate } from "../router";
import type { ViewProps } from "../routes";
import type { Schedule, ScheduleRun } from "../types";
import { ScheduleState, target } from "./ScheduledJobs";

const REFRESH_MS = 5_000;

const OUTCOMES: Record<string, string> = {
  enqueued: "ran",
  manual: "run now",
  buffered: "waiting in the buffer",
  skipped_overlap: "skipped: the previous run was still live",
  skipped: "skipped on request",
  missed: "missed",
  refused: "could not be built",
};

/** The page of one scheduled job. */
export function ScheduleDetail({ params }: ViewProps) {
  const name = params.name ?? "";
  const path = `/api/v1/scheduled-jobs/${encodeURIComponent(name)}`;
  const schedule = useResource<Schedule>(path);
  const runs = useResource<{ data: ScheduleRun[]; next_cursor: number | null }>(`${path}/runs?limit=20`);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // Runs happen on their own schedule: keep the page current.
  useInterval(() => {
    void schedule.reload();
    void runs.reload();
  }, REFRESH_MS);

  /** Runs an action; `done` is what the notice says afterwards. */
  const act = async (done: string, call: () => Promise<unknown>) => {
    setFailure(null);
    try {
      const result = await call();
      setNotice(typeof result === "string" ? result : done);
    } catch (e) {
      setNotice(null);
      setFailure(errorText(e));
    }
    await Promise.all([schedule.reload(), runs.reload()]);
  };

  if (schedule.error && !schedule.data) return <ErrorBox error={schedule.error} retry={() => void schedule.reload()} />;
  const s = schedule.data;
  if (!s) return <Loading what="Loading scheduled job" />;
  const fromApi = s.source === "api";

  const runNow = () =>
    setConfirm({
      title: `Run ${s.name} now?`,
      body: `One extra run of ${target(s)} is enqueued now; the schedule's cadence does not move.`,
      confirmLabel: "Run now",
      onConfirm: () =>
        act("Run enqueued.", async () => {
          const { task } = await api<{ task: string }>("POST", `${path}/run`);
          return `Run enqueued as task ${task}.`;
        }),
    });
  const stop = () =>
    setConfirm({
      title: `Stop ${s.name}?`,
      body: "No slot runs while it is stopped. When it is started again, the slots it missed follow its missed policy.",
      confirmLabel: "Stop schedule",
      danger: true,
      messageLabel: "Note (optional)",
      onConfirm: (note) => act("Stopped.", () => api("POST", `${path}/stop`, note ? { note } : {})),
    });
  const start = () =>
    setConfirm({
      title: `Start ${s.name}?`,
      body: `It runs again from its next slot; slots missed while stopped follow its missed policy (${s.missed}).`,
      confirmLabel: "Start schedule",
      onConfirm: () => act("Started.", () => api("POST", `${path}/start`, {})),
    });
  const skip = () =>
    setConfirm({
      title: `Skip the next run of ${s.name}?`,
      body: s.next_execution
        ? `The slot of ${formatZoned(s.next_execution)} will not run.`
        : "Its next slot will not run.",
      confirmLabel: "Skip next run",
      onConfirm: () => act("The next run will be skipped.", () => api("POST", `${path}/skip`, { count: 1 })),
    });
  const remove = () =>
    setConfirm({
      title: `Delete ${s.name}?`,
      body: "The schedule and its run log are deleted; tasks it already created stay.",
      confirmLabel: "Delete schedule",
      danger: true,
      onConfirm: async () => {
        setFailure(null);
        try {
          await api("DELETE", path);
          navigate("/scheduled-jobs");
        } catch (e) {
          setFailure(errorText(e));
        }
      },
    });

  return (
    <article class="detail" aria-labelledby="schedule-title">
      <p class="crumbs">
        <a href={href("/scheduled-jobs")}>Scheduled jobs</a> / <span class="mono">{s.name}</span>
      </p>
      <header class="detail-head">
        <h1 id="schedule-title">{s.name}</h1>
        <ScheduleState schedule={s} />
        {s.overdue ? <span class="pill pill-failed">overdue</span> : null}
        <div class="actions" role="group" aria-label="Schedule actions">
          <button type="button" class="btn" onClick={runNow}>
            Run now…
          </button>
          {s.stopped ? (
            <button type="button" class="btn" onClick={start}>
              Start…
            </button>
          ) : (
            <>
              <button type="button" class="btn" onClick={skip}>
                Skip next…
              </button>
              <button type="button" class="btn btn-danger-outline" onClick={stop}>
                Stop…
              </button>
            </>
          )}
          {fromApi ? (
            <>
              <a class="btn" href={href(`/scheduled-jobs/${encodeURIComponent(s.name)}/edit`)}>
                Edit
              </a>
              <button type="button" class="btn btn-danger-outline" onClick={remove}>
                Delete…
              </button>
            </>
          ) : null}
        </div>
      </header>
      {notice ? (
        <p class="notice" role="status">
          <Linked text={notice} />
        </p>
      ) : null}
      {failure ? <ErrorBox error={new Error(failure)} /> : null}
      {!fromApi ? (
        <p class="muted">
          Defined in code (defineSchedule): it can be stopped and started here, and changes with a deploy.
        </p>
      ) : null}
      {s.stopped && s.stop_note ? (
        <p class="notice">
          Stopped{s.stopped_at ? ` ${formatRelative(s.stopped_at)}` : ""}: {s.stop_note}
        </p>
      ) : null}
      <div class="grid2">
        <section class="card">
          <h2>Definition</h2>
          <dl class="fields">
            <Field label="Runs" value={target(s)} />
            <Field label="Schedule" value={s.timing ?? s.frequency} />
            <Field label="Time zone" value={s.timezone} />
            <Field label="Missed slots" value={s.missed} />
            <Field label="While one runs" value={s.overlap} />
            <Field label="Queue" value={s.queue ?? "method default"} />
            <Field label="Priority" value={s.priority === null ? "method default" : String(s.priority)} />
            <Field label="Timeout" value={s.timeout === null ? "method default" : `${s.timeout} s`} />
            <Field label="Retries" value={`${s.max_retries} (${s.retry_backoff}, ${s.retry_delay} s)`} />
            <Field
              label="Between"
              value={s.start_at || s.end_at ? `${formatZoned(s.start_at)} – ${formatZoned(s.end_at)}` : null}
            />
            <Field label="At most" value={s.max_runs === null ? null : `${s.max_runs} runs`} />
            <Field label="Owner" value={s.owner} />
            <Field label="Description" value={s.description} />
          </dl>
        </section>
        <section class="card">
          <h2>Runs</h2>
          <dl class="fields">
            <Field
              label="Next run"
              value={s.next_execution ? `${formatZoned(s.next_execution)} (${formatRelative(s.next_execution)})` : null}
            />
            <Field label="Your time" value={s.next_execution ? formatInViewerZone(s.next_execution) : null} />
            <Field label="Last run" value={s.last_execution ? formatDateTime(s.last_execution) : null} />
            <Field label="Runs" value={String(s.counters.runs)} />
            <Field label="Missed" value={String(s.counters.missed)} />
            <Field
              label="Skipped"
              value={`${s.counters.skipped} on request, ${s.counters.skipped_overlap} while one ran`}
            />
            <Field label="Failed" value={String(s.counters.failed)} />
            <Field label="Skip next" value={s.skip_next > 0 ? `${s.skip_next} slots` : null} />
          </dl>
          {s.next_runs && s.next_runs.length > 0 ? (
            <details>
              <summary>Next {s.next_runs.length} runs</summary>
              <ol class="next-runs" data-testid="next-runs">
                {s.next_runs.map((t) => (
                  <li key={t}>
                    {formatZoned(t)} <span class="muted small">· {formatInViewerZone(t)}</span>
                  </li>
                ))}
              </ol>
            </details>
          ) : null}
        </section>
      </div>
      <section class="card">
        <h2>Arguments</h2>
        <JsonView value={s.arguments} label="Arguments" />
      </section>
      <section class="card" aria-labelledby="runs-title">
        <h2 id="runs-title">Recent runs and the tasks they created</h2>
        {runs.error ? <ErrorBox error={runs.error} retry={() => void runs.reload()} /> : null}
        {runs.data && runs.data.data.length === 0 ? <Empty>No runs yet.</Empty> : null}
        {runs.data && runs.data.data.length > 0 ? (
          <div class="table-wrap">
            <table class="table" data-testid="runs">
              <thead>
                <tr>
                  <th>Slot</th>
                  <th>What happened</th>
                  <th>Task</th>
                  <th>Status</th>
                  <th class="num">Lag</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.data.map((r) => (
                  <tr key={`${r.slot}-${r.kind}`} data-outcome={r.outcome} data-task={r.task_name ?? ""}>
                    <td>{formatZoned(r.slot)}</td>
                    <td>
                      {OUTCOMES[r.outcome] ?? r.outcome}
                      {r.count > 1 ? ` (${r.count} slots)` : ""}
                      {r.error ? (
                        <div class="muted small">
                          <Linked text={r.error} />
                        </div>
                      ) : null}
                    </td>
                    <td class="mono">
                      {r.task_name ? (
                        <a href={href(`/tasks/${encodeURIComponent(r.task_name)}`)}>{r.task_name}</a>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>{r.task_status ? <StatusPill status={r.task_status} /> : "—"}</td>
                    <td class="num">{r.lag_ms === null ? "—" : formatDuration(r.lag_ms / 1000)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </article>
  );
}
