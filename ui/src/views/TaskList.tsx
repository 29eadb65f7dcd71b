// Tasks: filters in the URL, per-status counts as tabs, keyset paging ("Load more"), live rows over
// the WebSocket (own tasks, or every user's for System Managers; existing rows update in place, new
// ones wait behind an "N new — show" banner so the list never jumps) — polled while realtime is
// unavailable — and bulk actions by selection or by filter.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, client, query as toQuery } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { DispatcherBanner, useDispatcher } from "../components/DispatcherBanner";
import { LiveStatus } from "../components/LiveStatus";
import { Empty, ErrorBox, Loading } from "../components/States";
import { useCoalesced, useResource } from "../hooks";
import { usePollWhileOffline, useTaskListEvents } from "../live";
import type { ViewProps } from "../routes";
import { isAdmin, useMe } from "../session";
import type { MethodInfo, Page, Task, TaskCounts, TaskEvent } from "../types";
import { BulkActions, BulkSummary, filterBody, type Summary } from "./BulkActions";
import { StatusTabs } from "./StatusTabs";
import { TaskFilters } from "./TaskFilters";
import { TaskTable } from "./TaskTable";

const PAGE = 50;
/** Counts read up to 1,000 rows per status: at most one re-count this often while events come. */
const COUNTS_EVERY_MS = 3_000;

function listPath(query: URLSearchParams, cursor?: string): string {
  const params: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) params[key] = query.getAll(key);
  return `/api/v1/tasks${toQuery({ ...params, limit: PAGE, cursor })}`;
}

/** A row with an event's news applied (the rest refreshes with the next page load). */
function applyEvent(task: Task, e: TaskEvent): Task {
  return { ...task, status: e.status, job_name: e.job_name, progress: e.progress, retry_at: e.retry_at };
}

/** The tasks page; its filters are the hash query. */
export function TaskList({ query }: ViewProps) {
  const admin = isAdmin(useMe());
  const key = query.toString();
  const [rows, setRows] = useState<Task[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [fresh, setFresh] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [summary, setSummary] = useState<Summary | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [counts, setCounts] = useState<TaskCounts | null>(null);
  const methods = useResource<Page<MethodInfo>>("/api/v1/methods");
  const dispatcher = useDispatcher();
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  const loadFirst = useCallback(async () => {
    setLoading(true);
    try {
      const page = await api<Page<Task>>("GET", listPath(query));
      setRows(page.data);
      setCursor(page.next_cursor);
      setFresh([]);
      setError(null);
    } catch (e) {
      // Rows of the previous filter under this filter's error would read as its results.
      setRows([]);
      setCursor(null);
      setFresh([]);
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [key]);

  /** The tabs count every status under the other filters (the status filter picks the tab). */
  const loadCounts = useCallback(async () => {
    const others = filterBody(query);
    delete others.status;
    try {
      setCounts(await client.countTasks(others));
    } catch {
      setCounts(null); // a filter the API refuses shows its error above the table
    }
  }, [key]);

  useEffect(() => {
    setSelected(new Set());
    setCounts(null);
    void loadFirst();
    void loadCounts();
  }, [loadFirst, loadCounts]);

  const loadMore = async () => {
    if (!cursor) return;
    try {
      const page = await api<Page<Task>>("GET", listPath(query, cursor));
      setRows((r) => [...r, ...page.data]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };

  /** Re-reads the first page: updates shown rows in place and counts the new ones (not shown yet). */
  const refreshHead = useCallback(async () => {
    try {
      const head = await api<Page<Task>>("GET", listPath(query));
      const byName = new Map(head.data.map((t) => [t.name, t]));
      const top = rowsRef.current[0]?.name;
      setRows((r) => r.map((t) => byName.get(t.name) ?? t));
      const shown = new Set(rowsRef.current.map((t) => t.name));
      setFresh(head.data.filter((t) => !shown.has(t.name) && (top === undefined || t.name > top)).map((t) => t.name));
    } catch {
      // a failed background refresh changes nothing; the next event tries again
    }
  }, [key]);

  const scheduleHead = useCoalesced(() => void refreshHead(), 300);
  const scheduleCounts = useCoalesced(() => void loadCounts(), COUNTS_EVERY_MS);

  const connection = useTaskListEvents(
    admin,
    (event) => {
      if (rowsRef.current.some((t) => t.name === event.name)) {
        setRows((r) => r.map((t) => (t.name === event.name ? applyEvent(t, event) : t)));
      } else scheduleHead();
      scheduleCounts();
    },
    () => {
      scheduleHead();
      scheduleCounts();
    },
  );
  usePollWhileOffline(connection, () => {
    void refreshHead();
    void loadCounts();
  });

  const toggle = (name: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const toggleAll = (on: boolean) => setSelected(on ? new Set(rows.map((r) => r.name)) : new Set());

  return (
    <section aria-labelledby="tasks-title">
      <header class="detail-head">
        <h1 id="tasks-title">Tasks</h1>
        <LiveStatus state={connection} />
      </header>
      <DispatcherBanner state={dispatcher} />
      <TaskFilters query={query} methods={(methods.data?.data ?? []).map((m) => m.method)} />
      <StatusTabs query={query} counts={counts} />
      <BulkActions
        selected={[...selected]}
        query={query}
        confirm={setConfirm}
        onDone={(s) => {
          setSummary(s);
          setSelected(new Set());
          void loadFirst();
          void loadCounts();
        }}
      />
      {summary ? <BulkSummary summary={summary} onClose={() => setSummary(null)} /> : null}
      <div class={fresh.length > 0 ? "banner" : "banner banner-empty"} aria-live="polite">
        {fresh.length > 0 ? (
          <button type="button" class="btn btn-small btn-primary" onClick={() => void loadFirst()}>
            {fresh.length}
            {fresh.length >= PAGE ? "+" : ""} new — show
          </button>
        ) : null}
      </div>
      {error ? <ErrorBox error={error} retry={() => void loadFirst()} /> : null}
      {loading && rows.length === 0 ? <Loading what="Loading tasks" /> : null}
      {!loading && !error && rows.length === 0 ? (
        <Empty>
          {key === ""
            ? "No tasks yet. Enqueue one with POST /api/v1/tasks (see API docs), or start a report or a schedule."
            : "No tasks match these filters. Clear them, or widen the time range."}
        </Empty>
      ) : null}
      {rows.length > 0 ? (
        <TaskTable rows={rows} showOwner={admin} selected={selected} onToggle={toggle} onToggleAll={toggleAll} />
      ) : null}
      {cursor ? (
        <button type="button" class="btn load-more" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
