// One batch: live server-authoritative counters and progress bar (WebSocket, polled while realtime is
// unavailable), its label, failure policy, the status and method breakdowns, and resume / retry
// failed / cancel / requeue failed items — each offered only when there is something to act on.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { ProgressBar } from "../components/ProgressBar";
import { ErrorBox, Loading } from "../components/States";
import { StatusPill } from "../components/StatusPill";
import { formatDateTime } from "../format";
import { useResource } from "../hooks";
import { LiveStatus } from "../components/LiveStatus";
import { useBatchEvents, usePollWhileOffline } from "../live";
import { href } from "../router";
import type { ViewProps } from "../routes";
import type { Batch, BulkActionResult } from "../types";

const ACTIONS = [
  { path: "resume", label: "Resume paused" },
  { path: "retry-failed", label: "Retry failed" },
  { path: "requeue-failed-items", label: "Requeue failed items" },
  { path: "cancel", label: "Cancel batch", danger: true },
] as const;

/**
 * Whether an action has anything to act on: a finished batch offers no cancel, none failed no retry,
 * and failed items only exist where chunk tasks recorded some that were not requeued yet.
 */
function applies(action: (typeof ACTIONS)[number]["path"], batch: Batch): boolean {
  if (action === "resume") return (batch.statuses.Paused ?? 0) > 0;
  if (action === "cancel") return batch.done < batch.total;
  if (action === "requeue-failed-items") return batch.failed_items > 0;
  return batch.failed > 0;
}

/** The page of one batch, live while it is not done. */
export function BatchDetail({ params }: ViewProps) {
  const id = params.id ?? "";
  const path = `/api/v1/batches/${encodeURIComponent(id)}`;
  const resource = useResource<Batch>(path);
  const [batch, setBatch] = useState<Batch | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  useEffect(() => setBatch(resource.data), [resource.data]);

  const running = batch !== null && batch.done < batch.total;
  const connection = useBatchEvents(id, running, (progress, event) => {
    setBatch((b) => (b ? { ...b, done: progress.done, total: progress.total } : b));
    // Counters per final state and the status breakdown come with a re-read, at most on ends.
    if (event === null || progress.done >= progress.total) void resource.reload();
  });
  usePollWhileOffline(connection, () => void resource.reload());

  const act = async (action: string, body?: Record<string, unknown>) => {
    try {
      const result = await api<BulkActionResult & { requeued?: unknown[] }>("POST", `${path}/${action}`, body ?? {});
      setMessage(
        result.requeued !== undefined
          ? `Requeued into ${result.requeued.length} new batch(es).`
          : `${result.done} done, ${result.skipped} skipped${result.truncated ? " (more remain: run it again)" : ""}.`,
      );
      await resource.reload();
    } catch (e) {
      setMessage(errorText(e));
    }
  };

  if (resource.error && !batch) return <ErrorBox error={resource.error} retry={() => void resource.reload()} />;
  if (!batch) return <Loading what="Loading batch" />;
  return (
    <article class="detail" aria-labelledby="batch-title">
      <p class="crumbs">
        <a href={href("/batches")}>Batches</a> / <span class="mono">{batch.batch_id}</span>
      </p>
      <header class="detail-head">
        <h1 id="batch-title">{batch.label ?? `Batch ${batch.batch_id}`}</h1>
        <LiveStatus state={connection} />
        <div class="actions" role="group" aria-label="Batch actions">
          {ACTIONS.map((a) => (
            <button
              key={a.path}
              type="button"
              class={"danger" in a ? "btn btn-danger-outline" : "btn"}
              disabled={!applies(a.path, batch)}
              onClick={() =>
                "danger" in a
                  ? setConfirm({
                      title: `Cancel every live task of batch ${batch.batch_id}?`,
                      body: "Running tasks are aborted; waiting ones never start.",
                      confirmLabel: "Cancel batch",
                      danger: true,
                      messageLabel: "Message (optional)",
                      onConfirm: (m) => act(a.path, m ? { message: m } : {}),
                    })
                  : void act(a.path)
              }
            >
              {a.label}
            </button>
          ))}
        </div>
      </header>
      {message ? (
        <p class="notice" role="status">
          {message}
        </p>
      ) : null}
      <section class="card" data-testid="batch-progress">
        <ProgressBar
          count={batch.done}
          total={batch.total}
          description={`${batch.done} of ${batch.total} done`}
          label="Batch progress"
        />
      </section>
      <section class="card">
        <dl class="fields fields-inline">
          <dt>Batch</dt>
          <dd class="mono">{batch.batch_id}</dd>
          <dt>Owner</dt>
          <dd>{batch.owner}</dd>
          <dt>Methods</dt>
          <dd data-testid="batch-methods">
            {Object.entries(batch.methods).map(([method, n], i) => (
              <span key={method}>
                {i > 0 ? ", " : ""}
                <a href={href("/tasks", { batch_id: batch.batch_id, method })}>{method}</a> ({n})
              </span>
            ))}
          </dd>
          <dt>Failure policy</dt>
          <dd>{batch.failure_policy === "pause_rest" ? "pause the rest on a final failure" : "continue"}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(batch.created_at)}</dd>
          <dt>Finished / failed / canceled</dt>
          <dd>
            {batch.finished} / {batch.failed} / {batch.canceled}
          </dd>
          {batch.failed_items > 0 ? (
            <>
              <dt>Failed items</dt>
              <dd>{batch.failed_items} not requeued yet</dd>
            </>
          ) : null}
        </dl>
        {Object.keys(batch.statuses).length > 0 ? (
          <ul class="breakdown" aria-label="Tasks by status">
            {Object.entries(batch.statuses).map(([status, n]) => (
              <li key={status}>
                <a href={href("/tasks", { batch_id: batch.batch_id, status })}>
                  <StatusPill status={status} /> {n}
                </a>
              </li>
            ))}
          </ul>
        ) : null}
        <p>
          <a href={href("/tasks", { batch_id: batch.batch_id })}>Show this batch's tasks →</a>
        </p>
      </section>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </article>
  );
}
