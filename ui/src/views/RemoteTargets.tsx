// Remote targets (System Manager): the Frappe sites and HTTPS endpoints that run remote methods, with
// their health — whether the last call or test was refused (auth failed), the last error, the last
// success — and the way to register a new one.
import { Empty, ErrorBox, Loading } from "../components/States";
import { formatRelative } from "../format";
import { useInterval, useResource } from "../hooks";
import { href } from "../router";
import type { Page, RemoteTarget } from "../types";

const REFRESH_MS = 10_000;

/** A target's health in one word, its pill class and the detail behind it. */
export function targetHealth(t: RemoteTarget): { label: string; pill: string; detail: string } {
  if (t.auth_failed) {
    return {
      label: "auth failed",
      pill: "pill-failed",
      detail: `refused our credentials ${formatRelative(t.last_error_at)}: ${t.last_error ?? ""}`,
    };
  }
  const okAt = t.last_ok_at ? Date.parse(t.last_ok_at) : 0;
  const errorAt = t.last_error_at ? Date.parse(t.last_error_at) : 0;
  if (errorAt > okAt) {
    return {
      label: "failing",
      pill: "pill-error",
      detail: `${formatRelative(t.last_error_at)}: ${t.last_error ?? ""}`,
    };
  }
  if (okAt > 0) return { label: "ok", pill: "pill-finished", detail: `last answered ${formatRelative(t.last_ok_at)}` };
  return { label: "not called yet", pill: "pill-pending", detail: "no call or test yet" };
}

/** The remote targets page. */
export function RemoteTargets() {
  const targets = useResource<Page<RemoteTarget>>("/api/v1/remote-targets");
  // Health changes with every call the consumer makes: keep it current.
  useInterval(() => void targets.reload(), REFRESH_MS);
  return (
    <section aria-labelledby="targets-title">
      <header class="detail-head">
        <h1 id="targets-title">Remote targets</h1>
        <div class="actions">
          <a class="btn btn-primary" href={href("/remote-targets/+new")}>
            New remote target
          </a>
        </div>
      </header>
      <p class="muted">
        A remote method is named <code>&lt;target&gt;:&lt;path&gt;</code> and runs on the target's site: a Frappe
        whitelisted method or document action, or an HTTPS endpoint. Every call is signed with the target's signing
        secret.
      </p>
      {targets.error ? <ErrorBox error={targets.error} retry={() => void targets.reload()} /> : null}
      {!targets.data && !targets.error ? <Loading what="Loading remote targets" /> : null}
      {targets.data && targets.data.data.length === 0 ? (
        <Empty>No remote targets yet. Register a Frappe site or an HTTPS endpoint to run its methods as tasks.</Empty>
      ) : null}
      {targets.data && targets.data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Base URL</th>
                <th>Methods</th>
                <th>Roles</th>
                <th>Health</th>
              </tr>
            </thead>
            <tbody>
              {targets.data.data.map((t) => {
                const health = targetHealth(t);
                return (
                  <tr key={t.name} data-target={t.name}>
                    <td class="cell-main">
                      <a href={href(`/remote-targets/${encodeURIComponent(t.name)}`)}>{t.name}</a>
                    </td>
                    <td>{t.kind}</td>
                    <td class="mono small">{t.base_url}</td>
                    <td class="mono small">
                      {t.allowed_methods.map((m) => (
                        <div key={m}>{m}</div>
                      ))}
                    </td>
                    <td>{t.roles.length > 0 ? t.roles.join(", ") : "System Manager only"}</td>
                    <td data-testid="target-health">
                      <span class={`pill ${health.pill}`}>{health.label}</span>
                      <div class="muted small clip" title={health.detail}>
                        {health.detail}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
