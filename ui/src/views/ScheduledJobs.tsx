// Scheduled jobs: every schedule the user sees (own; System Managers: all) with its timing in words,
// next run in its own time zone, the status of its last run, whether it is started or stopped (the
// API's own words: stop / start), and where it is defined (code or API). New schedules are made
// here; each row opens its detail.
import { useEffect, useRef, useState } from "preact/hooks";
import { SwitchyardError, api, query } from "../api";
import { Empty, ErrorBox, Loading } from "../components/States";
import { StatusPill } from "../components/StatusPill";
import { formatInViewerZone, formatRelative, formatShort, formatZoned } from "../format";
import { useInterval } from "../hooks";
import { href } from "../router";
import { isAdmin, useMe } from "../session";
import type { Page, Schedule, Task } from "../types";

const REFRESH_MS = 10_000;

/** The scheduled jobs page. */
export function ScheduledJobs() {
  const admin = isAdmin(useMe());
  const [rows, setRows] = useState<Schedule[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  /** Counts the page's reads, so a last run still under way is re-read with them. */
  const [reads, setReads] = useState(0);

  const load = async (after?: string) => {
    try {
      const page = await api<Page<Schedule>>("GET", `/api/v1/scheduled-jobs${query({ limit: 50, cursor: after })}`);
      setRows((r) => (after ? [...r, ...page.data] : page.data));
      setCursor(page.next_cursor);
      setReads((n) => n + 1);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), []);
  // Next runs move on by themselves: re-read while everything fits on one page.
  useInterval(() => {
    if (cursor === null) void load();
  }, REFRESH_MS);

  return (
    <section aria-labelledby="schedules-title">
      <header class="detail-head">
        <h1 id="schedules-title">Scheduled jobs</h1>
        <div class="actions">
          <a class="btn btn-primary" href={href("/scheduled-jobs/+new")}>
            New schedule
          </a>
        </div>
      </header>
      {error ? <ErrorBox error={error} retry={() => void load()} /> : null}
      {loading ? <Loading what="Loading scheduled jobs" /> : null}
      {!loading && rows.length === 0 && !error ? (
        <Empty>
          No scheduled jobs yet. <a href={href("/scheduled-jobs/+new")}>Create one</a> for a method you may enqueue —
          its next runs are previewed before you save.
        </Empty>
      ) : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Runs</th>
                <th>Schedule</th>
                <th>Next run</th>
                <th>Last run</th>
                <th>State</th>
                <th>Defined in</th>
                {admin ? <th>Owner</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.name} data-schedule={s.name}>
                  <td class="cell-main">
                    <a href={href(`/scheduled-jobs/${encodeURIComponent(s.name)}`)}>{s.name}</a>
                    {s.description ? <div class="muted small">{s.description}</div> : null}
                  </td>
                  <td>{target(s)}</td>
                  <td>
                    {s.timing ?? s.frequency}
                    <div class="muted small">{s.timezone}</div>
                  </td>
                  <td data-testid="next-run">
                    {s.next_execution ? (
                      <>
                        {formatZoned(s.next_execution)}
                        <div class="muted small" title={formatInViewerZone(s.next_execution)}>
                          {formatRelative(s.next_execution)} · {formatShort(s.next_execution)} your time
                        </div>
                      </>
                    ) : (
                      "—"
                    )}
                    {s.overdue ? <span class="pill pill-failed">overdue</span> : null}
                  </td>
                  <td data-testid="last-run">
                    <LastRun schedule={s} reads={reads} />
                  </td>
                  <td data-testid="state">
                    <ScheduleState schedule={s} />
                  </td>
                  <td>{s.source === "code" ? "code" : "API"}</td>
                  {admin ? <td>{s.owner}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {cursor ? (
        <button type="button" class="btn load-more" onClick={() => void load(cursor)}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

/** Started or Stopped: the API's stop / start, one vocabulary everywhere. */
export function ScheduleState({ schedule }: { schedule: Schedule }) {
  return schedule.stopped ? (
    <span class="pill pill-paused" data-state="stopped">
      Stopped
    </span>
  ) : (
    <span class="pill pill-finished" data-state="started">
      Started
    </span>
  );
}

/** What a schedule runs: its method, or the document action. */
export function target(s: Schedule): string {
  return s.document_type ? `${s.document_type} ${s.document_name ?? ""} · ${s.document_action ?? ""}` : s.method;
}

/** A last run in one of these states will not change by itself. */
const SETTLED = new Set(["Finished", "Canceled"]);

/**
 * The status of the schedule's last run's task (when it still exists), and when it ran. Re-read
 * with each read of the page (`reads`) until the run has settled.
 */
function LastRun({ schedule, reads }: { schedule: Schedule; reads: number }) {
  const name = schedule.last_task;
  const [seen, setSeen] = useState<{ task: string; status: string | null } | null>(null);
  const seenRef = useRef(seen);
  seenRef.current = seen;
  useEffect(() => {
    let live = true;
    const last = seenRef.current;
    // Settled, or gone (deleted by retention): nothing more to read.
    if (name === null || (last?.task === name && (last.status === null || SETTLED.has(last.status)))) return;
    api<Task>("GET", `/api/v1/tasks/${encodeURIComponent(name)}`)
      .then((t) => live && setSeen({ task: name, status: t.status }))
      .catch((e: unknown) => {
        // Retention may have deleted it: the time alone is shown.
        if (live && e instanceof SwitchyardError && e.status === 404) setSeen({ task: name, status: null });
      });
    return () => {
      live = false;
    };
  }, [name, schedule.last_execution, reads]);
  if (name === null) return <span class="muted">never</span>;
  const status = seen?.task === name ? seen.status : null;
  return (
    <>
      {status ? (
        <a href={href(`/tasks/${encodeURIComponent(name)}`)}>
          <StatusPill status={status} />
        </a>
      ) : null}
      <div class="muted small">{formatShort(schedule.last_execution)}</div>
    </>
  );
}
