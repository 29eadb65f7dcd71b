// Bulk actions on the task list: on the selected rows, or on everything the current filter matches
// (repeating the API call while it reports `truncated`), with a done / skipped-and-why summary.
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import type { ConfirmRequest } from "../components/ConfirmDialog";
import type { BulkResult } from "../types";

type Action = "cancel" | "retry" | "pause" | "resume" | "run-now";
const ACTIONS: { action: Action; label: string }[] = [
  { action: "cancel", label: "Cancel" },
  { action: "retry", label: "Retry" },
  { action: "pause", label: "Pause" },
  { action: "resume", label: "Resume" },
  { action: "run-now", label: "Run now" },
];

export interface Summary {
  action: Action;
  scope: string;
  done: number;
  skipped: Map<string, number>;
  error: string | null;
}

/** The list's filter as the bulk API's `filter` body. */
export function filterBody(query: URLSearchParams): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const key of ["status", "method", "batch_id", "owner", "job_name", "created_after", "created_before"]) {
    const v = query.get(key);
    if (v) filter[key] = v;
  }
  const args = query.getAll("arg");
  if (args.length > 0) filter.arg = args;
  return filter;
}

function addResult(summary: Summary, result: BulkResult): void {
  summary.done += result.done;
  for (const r of result.results) {
    if (r.outcome === "skipped") {
      const why = r.reason ?? "skipped";
      summary.skipped.set(why, (summary.skipped.get(why) ?? 0) + 1);
    }
  }
}

/** Runs `action` on names or on the filter; loops while the server truncates (and progress is made). */
async function run(action: Action, target: { names: string[] } | { filter: Record<string, unknown> }, message: string) {
  const summary: Summary = {
    action,
    scope: "names" in target ? `${target.names.length} selected` : "everything matching the filter",
    done: 0,
    skipped: new Map(),
    error: null,
  };
  const extra = action === "cancel" && message ? { message } : {};
  try {
    for (let round = 0; round < 200; round++) {
      const result = await api<BulkResult>("POST", "/api/v1/tasks/actions", { action, ...target, ...extra });
      addResult(summary, result);
      if (!result.truncated || result.done === 0) break;
    }
  } catch (e) {
    summary.error = errorText(e);
  }
  return summary;
}

/** The bulk toolbar: actions on the selection, or on the whole filter after a confirmation. */
export function BulkActions({
  selected,
  query,
  confirm,
  onDone,
}: {
  selected: string[];
  query: URLSearchParams;
  confirm: (request: ConfirmRequest) => void;
  onDone: (summary: Summary) => void;
}) {
  const [filterAction, setFilterAction] = useState<Action>("cancel");
  const ask = (action: Action, target: { names: string[] } | { filter: Record<string, unknown> }) => {
    const label = ACTIONS.find((a) => a.action === action)?.label ?? action;
    const unfiltered = "filter" in target && Object.keys(target.filter).length === 0;
    const what =
      "names" in target
        ? `${target.names.length} selected task(s)`
        : unfiltered
          ? "every task you can see (no filter is set)"
          : "every task this filter matches";
    confirm({
      title: `${label} ${what}?`,
      body:
        "names" in target
          ? "Tasks whose status does not allow it are skipped and listed in the summary."
          : "This applies to all matching tasks, not only the ones on this page.",
      confirmLabel: action === "cancel" ? "Cancel tasks" : label,
      danger: action === "cancel",
      messageLabel: action === "cancel" ? "Message (optional)" : undefined,
      onConfirm: async (message) => onDone(await run(action, target, message)),
    });
  };
  return (
    <div class="bulkbar" role="toolbar" aria-label="Bulk actions">
      <span class="bulk-count">
        {selected.length > 0 ? `${selected.length} selected` : "Select rows for bulk actions"}
      </span>
      {ACTIONS.map(({ action, label }) => (
        <button
          key={action}
          type="button"
          class={action === "cancel" ? "btn btn-small btn-danger-outline" : "btn btn-small"}
          disabled={selected.length === 0}
          onClick={() => ask(action, { names: selected })}
        >
          {label}
        </button>
      ))}
      <span class="bulk-sep" />
      <label class="field field-inline">
        <span>Everything matching</span>
        <select
          value={filterAction}
          onChange={(e) => setFilterAction(e.currentTarget.value as Action)}
          name="filter_action"
        >
          {ACTIONS.map(({ action, label }) => (
            <option key={action} value={action}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="button" class="btn btn-small" onClick={() => ask(filterAction, { filter: filterBody(query) })}>
        Apply to filter…
      </button>
    </div>
  );
}

/** The result of the last bulk action. */
export function BulkSummary({ summary, onClose }: { summary: Summary; onClose: () => void }) {
  return (
    <div class="summary" role="status" data-testid="bulk-summary">
      <strong>
        {ACTIONS.find((a) => a.action === summary.action)?.label} on {summary.scope}: {summary.done} done,{" "}
        {[...summary.skipped.values()].reduce((a, b) => a + b, 0)} skipped
      </strong>
      {summary.skipped.size > 0 ? (
        <ul>
          {[...summary.skipped].map(([why, n]) => (
            <li key={why}>
              {n} × {why}
            </li>
          ))}
        </ul>
      ) : null}
      {summary.error ? <p class="state-error">{summary.error}</p> : null}
      <button type="button" class="btn btn-small" onClick={onClose}>
        Dismiss
      </button>
    </div>
  );
}
