// The buttons of one task: only the actions its status allows (the API refuses the others anyway),
// a confirmation with a message for cancel.
import { api, errorText } from "../api";
import type { ConfirmRequest } from "../components/ConfirmDialog";
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
    </div>
  );
}
