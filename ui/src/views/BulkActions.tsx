// Bulk actions on the task list: on the selected rows, or on everything the current filter matches —
// counted first, so the confirmation says how many tasks the action will touch and how many it
// skips — repeating the API call while it reports `truncated`, with a done / skipped-and-why summary.
import { useState } from "preact/hooks";
import { api, client, errorText } from "../api";
import type { ConfirmRequest } from "../components/ConfirmDialog";
import { formatCount } from "../format";
import type { BulkActionResult, TaskCounts, TaskFilter, TaskStatus } from "../types";

type Action = "cancel" | "retry" | "pause" | "resume" | "run-now";
const ACTIONS: { action: Action; label: string }[] = [
  { action: "cancel", label: "Cancel" },
  { action: "retry", label: "Retry" },
  { action: "pause", label: "Pause" },
  { action: "resume", label: "Resume" },
  { action: "run-now", label: "Run now" },
];
/** The most tasks an "apply to filter" goes through (200 calls of 500), and so the most it counts. */
const FILTER_MAX = 100_000;

export interface Summary {
  action: Action;
  scope: string;
  done: number;
  skipped: Map<string, number>;
  error: string | null;
}

/** The list's filter (the URL's query) as the API's task filter. */
export function filterBody(query: URLSearchParams): TaskFilter {
  const filter: Record<string, unknown> = {};
  for (const key of ["status", "method", "batch_id", "owner", "job_name", "created_after", "created_before"]) {
    const v = query.get(key);
    if (v) filter[key] = v;
  }
  const args = query.getAll("arg");
  if (args.length > 0) filter.arg = args;
  // The URL is user-editable: a value the API refuses comes back as its 400, shown by the list.
  return filter;
}

function addResult(summary: Summary, result: BulkActionResult): void {
  summary.done += result.done;
  for (const r of result.results) {
    if (r.outcome === "skipped") {
      const why = r.reason ?? "skipped";
      summary.skipped.set(why, (summary.skipped.get(why) ?? 0) + 1);
    }
  }
}

/** Runs `action` on names or on the filter; loops while the server truncates (and progress is made). */
async function run(action: Action, target: { names: string[] } | { filter: TaskFilter }, message: string) {
  const summary: Summary = {
    action,
    scope: "names" in target ? `${target.names.length} selected` : "everything matching the filter",
    done: 0,
    skipped: new Map(),
    error: null,
  };
  const extra = action === "cancel" && message ? { message } : {};
  try {
    for (let round = 0; round < FILTER_MAX / 500; round++) {
      const result = await api<BulkActionResult>("POST", "/api/v1/tasks/actions", { action, ...target, ...extra });
      addResult(summary, result);
      if (!result.truncated || result.done === 0) break;
    }
  } catch (e) {
    summary.error = errorText(e);
  }
  return summary;
}

/** "1,000" or "100,000 or more" for a total that reached the cap. */
const total = (counts: TaskCounts) => `${formatCount(counts.total)}${counts.capped.length > 0 ? " or more" : ""}`;

/** "Pending 3, Queued 1": the statuses with tasks in them. */
function byStatus(counts: TaskCounts): string {
  return (Object.entries(counts.statuses) as [TaskStatus, number][])
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${status} ${formatCount(n)}${counts.capped.includes(status) ? "+" : ""}`)
    .join(", ");
}

/**
 * What an action on the whole filter will do, from the server's counts: how many tasks match, how
 * many of them the action applies to (by status), and how many it will skip.
 */
export function filterImpact(label: string, matching: TaskCounts, acting: TaskCounts): string {
  if (matching.total === 0) return "No task matches this filter: nothing will change.";
  const skipped = matching.total - acting.total;
  const applies =
    acting.total === 0
      ? `${label} applies to none of them: their statuses do not allow it.`
      : `${label} applies to ${total(acting)} of them (${byStatus(acting)})${
          skipped > 0 && acting.capped.length === 0 ? `; the other ${formatCount(skipped)} will be skipped` : ""
        }.`;
  return `This filter matches ${total(matching)} task${matching.total === 1 ? "" : "s"}. ${applies}`;
}

/** The bulk toolbar: actions on the selection, or on the whole filter after a counted confirmation. */
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
  const [counting, setCounting] = useState(false);
  const [countError, setCountError] = useState<string | null>(null);
  const labelOf = (action: Action) => ACTIONS.find((a) => a.action === action)?.label ?? action;
  const ask = (action: Action, target: { names: string[] } | { filter: TaskFilter }, impact?: string) => {
    const label = labelOf(action);
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
          : `${impact ?? ""} This applies to all matching tasks, not only the ones on this page.`,
      confirmLabel: action === "cancel" ? "Cancel tasks" : label,
      danger: action === "cancel",
      messageLabel: action === "cancel" ? "Message (optional)" : undefined,
      onConfirm: async (message) => onDone(await run(action, target, message)),
    });
  };
  const askForFilter = async () => {
    const filter = filterBody(query);
    setCounting(true);
    setCountError(null);
    try {
      const [matching, acting] = await Promise.all([
        client.countTasks(filter, { cap: FILTER_MAX }),
        client.countTasks(filter, { cap: FILTER_MAX, action: filterAction }),
      ]);
      ask(filterAction, { filter }, filterImpact(labelOf(filterAction), matching, acting));
    } catch (e) {
      setCountError(`Could not count the matching tasks: ${errorText(e)}`);
    } finally {
      setCounting(false);
    }
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
      <button type="button" class="btn btn-small" disabled={counting} onClick={() => void askForFilter()}>
        {counting ? "Counting…" : "Apply to filter…"}
      </button>
      {countError ? (
        <span class="bad small" role="alert">
          {countError}
        </span>
      ) : null}
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
