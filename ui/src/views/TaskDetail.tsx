// One task, Desk-form style: every field, arguments and result as JSON, timings, attempts and
// retries, the error (with the stack for admins), the debug log, live progress, why it waits, and
// where it was run again from (or as).
import { useEffect, useState } from "preact/hooks";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { DispatcherBanner, useDispatcher } from "../components/DispatcherBanner";
import { Field } from "../components/Field";
import { JsonView } from "../components/JsonView";
import { Linked } from "../components/Linked";
import { LiveStatus } from "../components/LiveStatus";
import { ProgressBar } from "../components/ProgressBar";
import { ErrorBox, Loading } from "../components/States";
import { StatusPill } from "../components/StatusPill";
import { formatDateTime, formatDuration, taskDuration } from "../format";
import { useCoalesced, useResource } from "../hooks";
import { usePollWhileOffline, useTaskListEvents } from "../live";
import { href } from "../router";
import type { ViewProps } from "../routes";
import { isAdmin, useMe } from "../session";
import type { Task } from "../types";
import { TaskActions } from "./TaskActions";
import { WaitingReason } from "./WaitingReason";

const ENDED = new Set(["Finished", "Canceled"]);
/** A Task User cannot see other users' tasks of the method: their answer is re-checked this often. */
const RECHECK_MS = 10_000;

/** The page of one task, live until it ends. */
export function TaskDetail({ params }: ViewProps) {
  const name = params.name ?? "";
  const admin = isAdmin(useMe());
  const resource = useResource<Task>(`/api/v1/tasks/${encodeURIComponent(name)}`);
  const [task, setTask] = useState<Task | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  /** Moves with every event of another task of this method: the waiting answer may have changed. */
  const [methodEvents, setMethodEvents] = useState(0);
  const dispatcher = useDispatcher();
  useEffect(() => setTask(resource.data), [resource.data]);

  const live = task !== null && !(ENDED.has(task.status) || (task.status === "Failed" && task.retry_at === null));
  const methodChanged = useCoalesced(() => setMethodEvents((n) => n + 1), 500);
  // One subscription covers the task and its method: the caller's own tasks (for a System Manager,
  // every user's) — so a canceled task ahead, or a slot freed, re-asks why this one waits.
  const connection = useTaskListEvents(
    admin,
    (event) => {
      if (event.name === name) {
        // Progress patches in place; a new status re-reads the whole task (timings, result, error).
        setTask((t) => (t ? { ...t, progress: event.progress } : t));
        if (event.status !== task?.status || event.retry_at !== task.retry_at) void resource.reload();
      } else if (event.method === task?.method) methodChanged();
    },
    () => {
      void resource.reload();
      methodChanged();
    },
    live,
  );
  usePollWhileOffline(connection, () => {
    void resource.reload();
    methodChanged();
  });

  if (resource.error && !task) return <ErrorBox error={resource.error} retry={() => void resource.reload()} />;
  if (!task) return <Loading what="Loading task" />;
  const p = task.progress;
  return (
    <article class="detail" aria-labelledby="task-title">
      <p class="crumbs">
        <a href={href("/tasks")}>Tasks</a> / <span class="mono">{task.name}</span>
      </p>
      <header class="detail-head">
        <h1 id="task-title">{task.job_name}</h1>
        <StatusPill status={task.status} retry={task.retry_at !== null} />
        <LiveStatus state={connection} />
        <TaskActions task={task} confirm={setConfirm} onChanged={setTask} onError={setActionError} />
      </header>
      {live ? <DispatcherBanner state={dispatcher} /> : null}
      {actionError ? <ErrorBox error={new Error(actionError)} /> : null}
      <WaitingReason
        name={task.name}
        trigger={`${task.status}:${task.retry_at ?? ""}:${methodEvents}:${String(dispatcher?.enabled)}`}
        recheckMs={admin ? null : RECHECK_MS}
      />
      <section class="card" aria-label="Progress" data-testid="task-progress">
        <ProgressBar
          count={p?.count ?? (task.status === "Finished" ? 1 : null)}
          total={p?.total ?? (task.status === "Finished" ? 1 : null)}
          description={p?.description ?? task.status_message}
          idle={task.status !== "Started"}
        />
      </section>
      <div class="grid2">
        <section class="card">
          <h2>Task</h2>
          <dl class="fields">
            <Field label="Name" value={task.name} mono />
            <Field label="Method" value={task.method} />
            {task.document_type ? (
              <Field
                label="Document"
                value={`${task.document_type} ${task.document_name ?? ""} · ${task.document_action ?? ""}`}
              />
            ) : null}
            <Field label="Owner" value={task.owner} />
            <Field label="Queue" value={`${task.queue} (timeout ${task.timeout} s)`} />
            <Field label="Priority" value={`${task.priority}${task.at_front ? " · at front" : ""}`} />
            <Field label="Status message" value={task.status_message} />
            <Field label="Dedupe key" value={task.dedupe_key} />
            <Field label="Job id" value={task.job_id} mono />
            <dt>Batch</dt>
            <dd>
              {task.batch_id ? (
                <a href={href(`/batches/${encodeURIComponent(task.batch_id)}`)}>
                  {task.batch_id} #{task.batch_order}
                </a>
              ) : (
                "—"
              )}
            </dd>
            {task.scheduled_job ? (
              <>
                <dt>Scheduled job</dt>
                <dd>
                  <a href={href(`/scheduled-jobs/${encodeURIComponent(task.scheduled_job)}`)}>{task.scheduled_job}</a>
                </dd>
              </>
            ) : null}
            <RerunLinks task={task} />
          </dl>
        </section>
        <section class="card">
          <h2>Timing and attempts</h2>
          <dl class="fields">
            <Field label="Created" value={formatDateTime(task.created_at)} />
            <Field label="Run at" value={task.run_at ? formatDateTime(task.run_at) : null} />
            <Field label="Queued" value={formatDateTime(task.queued_at)} />
            <Field label="Started" value={formatDateTime(task.started_at)} />
            <Field label="Ended" value={formatDateTime(task.ended_at)} />
            <Field label="Duration" value={formatDuration(taskDuration(task))} />
            <Field label="Attempt" value={String(task.attempt)} />
            <Field
              label="Retries"
              value={`${task.retry_count} of ${task.max_retries} (${task.retry_backoff}, ${task.retry_delay} s)`}
            />
            <Field label="Retry at" value={task.retry_at ? formatDateTime(task.retry_at) : null} />
          </dl>
        </section>
      </div>
      <section class="card">
        <h2>Arguments</h2>
        <JsonView value={task.arguments} label="Arguments" />
      </section>
      {task.result !== null ? (
        <section class="card">
          <h2>Result</h2>
          <JsonView value={task.result} label="Result" />
        </section>
      ) : null}
      {task.error_message ? (
        <section class="card card-error">
          <h2>Error{admin ? " and stack" : ""}</h2>
          <pre class="json error-text">{task.error_message}</pre>
        </section>
      ) : null}
      {task.debug_log ? (
        <section class="card">
          <h2>Debug log</h2>
          <pre class="json">
            <Linked text={task.debug_log} />
          </pre>
        </section>
      ) : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </article>
  );
}

/** "Run again of" the task it repeats, and the tasks that run it again (newest first). */
function RerunLinks({ task }: { task: Task }) {
  const reruns = task.reruns ?? [];
  return (
    <>
      {task.rerun_of ? (
        <>
          <dt>Run again of</dt>
          <dd data-testid="rerun-of">
            <a class="mono" href={href(`/tasks/${encodeURIComponent(task.rerun_of)}`)}>
              {task.rerun_of}
            </a>
          </dd>
        </>
      ) : null}
      {reruns.length > 0 ? (
        <>
          <dt>Run again as</dt>
          <dd data-testid="reruns">
            {reruns.map((r, i) => (
              <span key={r}>
                {i > 0 ? ", " : ""}
                <a class="mono" href={href(`/tasks/${encodeURIComponent(r)}`)}>
                  {r}
                </a>
              </span>
            ))}
          </dd>
        </>
      ) : null}
    </>
  );
}
