// The task list's tabs: how many tasks the other filters match in each status (as bull-board's and
// RQ's job lists show), each a link that filters by it. Counts are the server's, capped per status.
import type { TaskCounts, TaskStatus } from "../types";
import { formatCount } from "../format";
import { href } from "../router";

const ORDER: TaskStatus[] = ["Pending", "Queued", "Started", "Paused", "Finished", "Failed", "Canceled"];

/** "1,000+" for a capped count. */
function shown(counts: TaskCounts, status: TaskStatus | null): string {
  const n = status === null ? counts.total : counts.statuses[status];
  const more = status === null ? counts.capped.length > 0 : counts.capped.includes(status);
  return `${formatCount(n)}${more ? "+" : ""}`;
}

/** The tabs for `query` (its status is the selected tab); `counts` null while loading. */
export function StatusTabs({ query, counts }: { query: URLSearchParams; counts: TaskCounts | null }) {
  const current = query.get("status");
  const link = (status: TaskStatus | null) => {
    const next = new URLSearchParams(query);
    if (status === null) next.delete("status");
    else next.set("status", status);
    return href("/tasks", next);
  };
  return (
    <nav class="tabs" aria-label="Tasks by status" data-testid="status-tabs">
      {[null, ...ORDER].map((status) => (
        <a
          key={status ?? "all"}
          href={link(status)}
          class={current === status || (status === null && !current) ? "tab active" : "tab"}
          aria-current={current === status || (status === null && !current) ? "page" : undefined}
          data-status={status ?? "all"}
        >
          {status ?? "All"} <span class="tab-count">{counts ? shown(counts, status) : "…"}</span>
        </a>
      ))}
    </nav>
  );
}
