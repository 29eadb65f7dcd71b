// The buttons of one task: only the actions its status allows (the API refuses the others anyway),
// a confirmation with a message for cancel, and "Run again" for an ended task (a new task with the
// same arguments, linked to this one).
import { api, client, errorText } from "../api";
import type { ConfirmRequest } from "../components/ConfirmDialog";
import { navigate } from "../router";
import type { Task } from "../types";

type Action = { action: string; label: string; body?: Record<string, unknown>; danger?: boolean };

function allowed(task: Task): Action[] {
  switch (task.status) {
    case "Pending":
      return [
        { action: "run-now", label: "Run now" },
        { action: "pause", label: "Pause" },
        { action: "cancel", label: "Cancel", danger: true },
      ];
    case "Paused":
      return [
        { action: "resume", label: "Resume" },
        { action: "run-now", label: "Run now" },
        { action: "cancel", label: "Cancel", danger: true },
      ];
    case "Queued":
    case "Started":
      return [{ action: "cancel", label: "Cancel", danger: true }];
    case "Failed":
    case "Canceled":
      return [
        { action: "retry", label: "Retry" },
        { action: "retry", label: "Retry now", body: { now: true } },
      ];
    default:
      return [];
  }
}

/** Ended for good: Finished, Canceled, or Failed with no retry coming. */
const ended = (task: Task) =>
  task.status === "Finished" || task.status === "Canceled" || (task.status === "Failed" && task.retry_at === null);

/** Report jobs are started from their report, never through the task API. */
const canRunAgain = (task: Task) => ended(task) && !task.method.startsWith("report:");

/** The action buttons of one task; `onChanged` gets the task the API returned. */
export function TaskActions({
  task,
  confirm,
  onChanged,
  onError,
}: {
  task: Task;
  confirm: (request: ConfirmRequest) => void;
  onChanged: (task: Task) => void;
  onError: (message: string) => void;
}) {
  const run = async (a: Action, message?: string) => {
    try {
      const body = a.action === "cancel" && message ? { message } : (a.body ?? {});
      onChanged(await api<Task>("POST", `/api/v1/tasks/${encodeURIComponent(task.name)}/${a.action}`, body));
    } catch (e) {
      onError(errorText(e));
    }
  };
  const runAgain = () =>
    confirm({
      title: `Run ${task.job_name} again?`,
      body: `A new task of ${task.method} with the same arguments and options is enqueued, linked to this one (which stays as it is).`,
      confirmLabel: "Run again",
      onConfirm: async () => {
        try {
          const again = await client.runAgain(task);
          navigate(`/tasks/${encodeURIComponent(again.name)}`);
        } catch (e) {
          onError(errorText(e));
        }
      },
    });
  return (
    <div class="actions" role="group" aria-label="Task actions">
      {allowed(task).map((a) => (
        <button
          key={a.label}
          type="button"
          class={a.danger ? "btn btn-danger-outline" : "btn"}
          onClick={() =>
            a.danger
              ? confirm({
                  title: `Cancel ${task.job_name}?`,
                  body: "A running task is aborted; a waiting one never starts.",
                  confirmLabel: "Cancel task",
                  danger: true,
                  messageLabel: "Message (optional)",
                  onConfirm: (message) => run(a, message),
                })
              : void run(a)
          }
        >
          {a.label}
        </button>
      ))}
      {canRunAgain(task) ? (
        <button type="button" class="btn" onClick={runAgain}>
          Run again…
        </button>
      ) : null}
    </div>
  );
}
