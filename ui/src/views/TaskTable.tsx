// The task list's table: fixed-height rows (live updates never shift the layout), a selection
// checkbox per row, status pill and progress. Every column fits the width it is given (a laptop's
// 1280 px); on a phone each row becomes a small card whose cells name themselves (data-label).
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
            <th class="col-job">Job</th>
            <th class="col-method">Method</th>
            <th class="col-status">Status</th>
            <th class="col-progress">Progress</th>
            {showOwner ? <th class="col-owner">Owner</th> : null}
            <th class="col-created">Created</th>
            <th class="num col-duration">Duration</th>
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
              <td class="cell-main col-job" data-label="Job">
                <a href={href(`/tasks/${t.name}`)} title={`${t.job_name} (${t.name})`}>
                  {t.job_name}
                </a>
              </td>
              <td class="col-method" data-label="Method" title={t.method}>
                {t.method}
              </td>
              <td class="col-status" data-label="Status">
                <StatusPill status={t.status} retry={t.retry_at !== null} />
              </td>
              <td class="col-progress" data-label="Progress">
                {t.progress && (t.status === "Started" || t.progress.total) ? (
                  <ProgressBar
                    compact
                    count={t.progress.count}
                    total={t.progress.total}
                    label={`Progress of ${t.job_name}`}
                  />
                ) : null}
              </td>
              {showOwner ? (
                <td class="col-owner" data-label="Owner" title={t.owner}>
                  {t.owner}
                </td>
              ) : null}
              <td class="col-created" data-label="Created">
                {formatShort(t.created_at)}
              </td>
              <td class="num col-duration" data-label="Duration">
                {formatDuration(taskDuration(t))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
