// Batches: newest first with their label, exact counters and a progress bar, keyset-paged, live over
// the WebSocket (the same task events the tasks page watches; polled while realtime is unavailable).
import { useEffect, useState } from "preact/hooks";
import { api, query } from "../api";
import { ProgressBar } from "../components/ProgressBar";
import { Empty, ErrorBox, Loading } from "../components/States";
import { formatShort } from "../format";
import { useCoalesced } from "../hooks";
import { LiveStatus } from "../components/LiveStatus";
import { usePollWhileOffline, useTaskListEvents } from "../live";
import { href } from "../router";
import { isAdmin, useMe } from "../session";
import type { BatchSummary as Batch, Page } from "../types";

/** The batches page. */
export function BatchList() {
  const admin = isAdmin(useMe());
  const [rows, setRows] = useState<Batch[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  const load = async (after?: string) => {
    try {
      const page = await api<Page<Batch>>("GET", `/api/v1/batches${query({ limit: 50, cursor: after })}`);
      setRows((r) => (after ? [...r, ...page.data] : page.data));
      setCursor(page.next_cursor);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), []);

  // Live: a batch's task event moves its bar at once; a re-read of the first page (at most one a
  // second, however fast a bulk runs) brings its counters and any new batch, which goes on top.
  const readHead = async () => {
    try {
      const head = await api<Page<Batch>>("GET", `/api/v1/batches${query({ limit: 50 })}`);
      setRows((r) => {
        const shown = new Set(r.map((b) => b.batch_id));
        const byId = new Map(head.data.map((b) => [b.batch_id, b]));
        return [...head.data.filter((b) => !shown.has(b.batch_id)), ...r.map((b) => byId.get(b.batch_id) ?? b)];
      });
    } catch {
      // a failed background refresh changes nothing; the next event tries again
    }
  };
  const refreshHead = useCoalesced(() => void readHead(), 1000);
  const connection = useTaskListEvents(
    admin,
    (event) => {
      if (event.batch_id === null) return;
      const { batch_id: id, batch_done: done } = event;
      if (done !== null) setRows((r) => r.map((b) => (b.batch_id === id ? { ...b, done } : b)));
      refreshHead();
    },
    refreshHead,
  );
  usePollWhileOffline(connection, () => void readHead());

  return (
    <section aria-labelledby="batches-title">
      <header class="detail-head">
        <h1 id="batches-title">Batches</h1>
        <LiveStatus state={connection} />
      </header>
      {error ? <ErrorBox error={error} retry={() => void load()} /> : null}
      {loading ? <Loading what="Loading batches" /> : null}
      {!loading && rows.length === 0 && !error ? (
        <Empty>
          No batches yet. A bulk enqueue (POST /api/v1/tasks/bulk, with a label if you like) or a chunked bulk over ids
          (POST /api/v1/bulk/&lt;method&gt;) makes one.
        </Empty>
      ) : null}
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Batch</th>
                {admin ? <th>Owner</th> : null}
                <th class="col-progress-wide">Progress</th>
                <th class="num">Finished</th>
                <th class="num">Failed</th>
                <th class="num">Canceled</th>
                <th>Policy</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr key={b.batch_id} data-batch={b.batch_id}>
                  <td class="cell-main">
                    <a href={href(`/batches/${encodeURIComponent(b.batch_id)}`)}>{b.label ?? b.batch_id}</a>
                    {b.label !== null ? <div class="muted small mono">{b.batch_id}</div> : null}
                  </td>
                  {admin ? <td>{b.owner}</td> : null}
                  <td class="col-progress-wide">
                    <ProgressBar compact count={b.done} total={b.total} label={`Progress of batch ${b.batch_id}`} />
                    <span class="muted small">
                      {b.done} / {b.total}
                    </span>
                  </td>
                  <td class="num">{b.finished}</td>
                  <td class="num">{b.failed}</td>
                  <td class="num">{b.canceled}</td>
                  <td>{b.failure_policy}</td>
                  <td>{formatShort(b.created_at)}</td>
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
