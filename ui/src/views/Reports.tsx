// Prepared reports: the reports this user may run, each opening its filter form and recent jobs.
import { Described } from "../components/Described";
import { Empty, ErrorBox, Loading } from "../components/States";
import { useResource } from "../hooks";
import { href } from "../router";
import type { Page, ReportInfo } from "../types";

/** The reports page: the reports the user may run. */
export function Reports() {
  const reports = useResource<Page<ReportInfo>>("/api/v1/reports");
  if (reports.error) return <ErrorBox error={reports.error} retry={() => void reports.reload()} />;
  if (!reports.data) return <Loading what="Loading reports" />;
  const runnable = reports.data.data.filter((r) => r.can_run);
  return (
    <section aria-labelledby="reports-title">
      <h1 id="reports-title">Prepared reports</h1>
      {runnable.length === 0 ? <Empty>No report is open to your roles.</Empty> : null}
      <ul class="cards">
        {runnable.map((r) => (
          <li key={r.name} class="card">
            <h2>
              <a href={href(`/reports/${encodeURIComponent(r.name)}`)}>{r.name}</a>
            </h2>
            <p class="muted">
              <Described text={r.description} />
            </p>
            <p class="small muted">{r.columns.length} columns</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
