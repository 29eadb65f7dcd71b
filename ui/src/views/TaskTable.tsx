// The task list's table: fixed-height rows (live updates never shift the layout), a selection
// checkbox per row, status pill and progress.
import { ProgressBar } from "../components/ProgressBar";
import { StatusPill } from "../components/StatusPill";
import { formatDuration, formatShort, taskDuration } from "../format";
import { href } from "../router";
import type { Task } from "../types";

/** The table of tasks with selection checkboxes. */
export function TaskTable({
  rows,
  showOwner,
  selected,
  onToggle,
  onToggleAll,
}: {
  rows: Task[];
  showOwner: boolean;
  selected: Set<string>;
  onToggle: (name: string) => void;
  onToggleAll: (on: boolean) => void;
}) {
  const all = rows.length > 0 && rows.every((r) => selected.has(r.name));
  return (
    <div class="table-wrap">
      <table class="table tasks-table">
        <thead>
          <tr>
            <th class="col-check">
              <input
                type="checkbox"
                aria-label="Select all tasks on this page"
                checked={all}
                onChange={(e) => onToggleAll(e.currentTarget.checked)}
              />
            </th>
            <th>Job</th>
            <th>Method</th>
            <th>Status</th>
            <th class="col-progress">Progress</th>
            {showOwner ? <th>Owner</th> : null}
            <th>Created</th>
            <th class="num">Duration</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.name} data-name={t.name} data-status={t.status} class={selected.has(t.name) ? "selected" : ""}>
              <td class="col-check">
                <input
                  type="checkbox"
                  aria-label={`Select ${t.job_name} (${t.name})`}
                  checked={selected.has(t.name)}
                  onChange={() => onToggle(t.name)}
                />
              </td>
              <td class="cell-main">
                <a href={href(`/tasks/${t.name}`)} title={t.name}>
                  {t.job_name}
                </a>
              </td>
              <td>{t.method}</td>
              <td>
                <StatusPill status={t.status} retry={t.retry_at !== null} />
              </td>
              <td class="col-progress">
                {t.progress && (t.status === "Started" || t.progress.total) ? (
                  <ProgressBar
                    compact
                    count={t.progress.count}
                    total={t.progress.total}
                    label={`Progress of ${t.job_name}`}
                  />
                ) : null}
              </td>
              {showOwner ? <td>{t.owner}</td> : null}
              <td>{formatShort(t.created_at)}</td>
              <td class="num">{formatDuration(taskDuration(t))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
