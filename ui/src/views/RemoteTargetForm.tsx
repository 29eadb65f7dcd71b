// Register a remote target or change one (System Manager): kind, base URL, write-only credentials, the
// method patterns it may run and the roles that may enqueue them, timeout and answer size. A new
// target's signing secret is shown once, here. The server checks everything (URL policy, patterns,
// credentials) and names the field that is wrong.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { RoleChecks } from "../components/RoleChecks";
import type { Role } from "../../../src/shared/states";
import { SecretOnce } from "../components/SecretOnce";
import { ErrorBox, Loading } from "../components/States";
import { useDraftForm } from "../form";
import { useResource } from "../hooks";
import { href, navigate } from "../router";
import type { ViewProps } from "../routes";
import type { RemoteTarget, RemoteTargetSpec, RemoteTargetWithSecret } from "../types";

interface Draft {
  name: string;
  kind: "frappe" | "http";
  baseUrl: string;
  /** On an edit: keep the stored credentials, replace them, or remove them. */
  credentials: "keep" | "set" | "remove";
  apiKey: string;
  apiSecret: string;
  token: string;
  signingSecret: string;
  patterns: string;
  roles: Set<Role>;
  timeout: string;
  maxResponseKb: string;
}

const emptyDraft: Draft = {
  name: "",
  kind: "frappe",
  baseUrl: "",
  credentials: "set",
  apiKey: "",
  apiSecret: "",
  token: "",
  signingSecret: "",
  patterns: "",
  roles: new Set<Role>(["Task User"]),
  timeout: "",
  maxResponseKb: "1024",
};

function draftOf(t: RemoteTarget): Draft {
  return {
    ...emptyDraft,
    name: t.name,
    kind: t.kind,
    baseUrl: t.base_url,
    credentials: t.has_credentials ? "keep" : "set",
    patterns: t.allowed_methods.join("\n"),
    roles: new Set(t.roles),
    timeout: t.timeout === null ? "" : String(t.timeout),
    maxResponseKb: String(Math.round(t.max_response_bytes / 1024)),
  };
}

/** The PUT body for a draft; `existing` is the stored target when editing. */
function specOf(d: Draft, existing: RemoteTarget | null): RemoteTargetSpec {
  const spec: RemoteTargetSpec = {
    kind: d.kind,
    base_url: d.baseUrl.trim(),
    allowed_methods: d.patterns
      .split("\n")
      .map((p) => p.trim())
      .filter((p) => p !== ""),
    roles: [...d.roles],
    timeout: d.timeout.trim() === "" ? null : Number(d.timeout),
    max_response_bytes: Math.round(Number(d.maxResponseKb) * 1024),
  };
  if (d.credentials === "remove") spec.credentials = null;
  if (d.credentials === "set") {
    const given = d.kind === "frappe" ? d.apiKey.trim() !== "" || d.apiSecret.trim() !== "" : d.token.trim() !== "";
    // A new target without credentials is allowed (an open endpoint); an edit that leaves them blank keeps them.
    if (given) {
      spec.credentials =
        d.kind === "frappe" ? { api_key: d.apiKey.trim(), api_secret: d.apiSecret.trim() } : { token: d.token.trim() };
    } else if (existing?.has_credentials && existing.kind !== d.kind) spec.credentials = null;
  }
  if (existing === null && d.signingSecret.trim() !== "") spec.signing_secret = d.signingSecret.trim();
  return spec;
}

/** The new-target page (no `name` param) and a target's edit page. */
export function RemoteTargetForm({ params }: ViewProps) {
  const editing = params.name;
  const path = editing === undefined ? null : `/api/v1/remote-targets/${encodeURIComponent(editing)}`;
  const existing = useResource<RemoteTarget>(path);
  const [created, setCreated] = useState<RemoteTargetWithSecret | null>(null);
  const form = useDraftForm<Draft>(
    emptyDraft,
    async (d) => {
      const name = editing ?? d.name.trim();
      const saved = await api<RemoteTargetWithSecret>(
        "PUT",
        `/api/v1/remote-targets/${encodeURIComponent(name)}`,
        specOf(d, existing.data),
      );
      if (saved.signing_secret) setCreated(saved);
      else navigate(`/remote-targets/${encodeURIComponent(saved.name)}`);
    },
    editing === undefined
      ? null
      : {
          title: `Replace the definition of ${editing}?`,
          body: "Tasks already queued keep their method names; calls from now on use the new definition.",
          confirmLabel: "Save changes",
        },
  );
  const { draft, setDraft, set } = form;
  // The stored definition the draft was filled from: until then the form is not shown, so nothing
  // typed into it can be overwritten when the stored definition arrives.
  const [filledFrom, setFilledFrom] = useState<unknown>(null);
  useEffect(() => {
    const stored = existing.data;
    if (stored) {
      setDraft(() => draftOf(stored));
      setFilledFrom(stored);
    }
  }, [existing.data]);

  if (created?.signing_secret) {
    return (
      <section aria-labelledby="target-created-title">
        <h1 id="target-created-title">Remote target {created.name} is registered</h1>
        <SecretOnce
          value={created.signing_secret}
          onDone={() => navigate(`/remote-targets/${encodeURIComponent(created.name)}`)}
        >
          Copy this signing secret now and store it on the remote side (it verifies our webhook-signature header) — it
          is not shown again.
        </SecretOnce>
      </section>
    );
  }
  if (editing !== undefined && existing.error) return <ErrorBox error={existing.error} />;
  if (editing !== undefined && (!existing.data || filledFrom !== existing.data))
    return <Loading what="Loading remote target" />;
  const title = editing === undefined ? "New remote target" : `Edit ${editing}`;
  const keepable = existing.data?.has_credentials === true;
  return (
    <section aria-labelledby="target-form-title">
      <p class="crumbs">
        <a href={href("/remote-targets")}>Remote targets</a>
        {editing !== undefined ? (
          <>
            {" / "}
            <a href={href(`/remote-targets/${encodeURIComponent(editing)}`)}>{editing}</a>
          </>
        ) : null}
      </p>
      <h1 id="target-form-title">{title}</h1>
      <form class="card schedule-form" onSubmit={form.submit} aria-label={title}>
        <fieldset class="filters">
          <legend>Where</legend>
          {editing === undefined ? (
            <label class="field">
              <span>Name</span>
              <input
                name="name"
                required
                maxLength={40}
                pattern="[a-z0-9][a-z0-9_\-]{0,39}"
                title="1–40 of a-z 0-9 _ -, starting with a letter or digit"
                value={draft.name}
                onInput={set("name")}
              />
            </label>
          ) : null}
          <label class="field">
            <span>Kind</span>
            <select aria-label="Kind" value={draft.kind} onChange={set("kind")}>
              <option value="frappe">Frappe site</option>
              <option value="http">HTTPS endpoint</option>
            </select>
          </label>
          <label class="field field-wide">
            <span>Base URL</span>
            <input
              name="base_url"
              type="url"
              required
              maxLength={2048}
              placeholder={draft.kind === "frappe" ? "https://erp.example.com" : "https://jobs.example.com/switchyard"}
              value={draft.baseUrl}
              onInput={set("baseUrl")}
            />
          </label>
        </fieldset>
        <fieldset class="filters">
          <legend>Credentials (write-only: never shown again)</legend>
          {keepable ? (
            <label class="field">
              <span>Stored credentials</span>
              <select aria-label="Stored credentials" value={draft.credentials} onChange={set("credentials")}>
                <option value="keep">keep them</option>
                <option value="set">replace them</option>
                <option value="remove">remove them</option>
              </select>
            </label>
          ) : null}
          {draft.credentials === "set" && draft.kind === "frappe" ? (
            <>
              <label class="field">
                <span>API key</span>
                <input name="api_key" autocomplete="off" maxLength={200} value={draft.apiKey} onInput={set("apiKey")} />
              </label>
              <label class="field">
                <span>API secret</span>
                <input
                  name="api_secret"
                  type="password"
                  autocomplete="new-password"
                  maxLength={200}
                  value={draft.apiSecret}
                  onInput={set("apiSecret")}
                />
              </label>
              <p class="muted small field-wide">
                Sent as <code>Authorization: token key:secret</code>; the user's roles on the site decide what it may
                run.
              </p>
            </>
          ) : null}
          {draft.credentials === "set" && draft.kind === "http" ? (
            <label class="field field-wide">
              <span>Bearer token (optional)</span>
              <input
                name="token"
                type="password"
                autocomplete="new-password"
                maxLength={4096}
                value={draft.token}
                onInput={set("token")}
              />
            </label>
          ) : null}
          {editing === undefined ? (
            <label class="field field-wide">
              <span>Signing secret (optional: one is generated)</span>
              <input
                name="signing_secret"
                type="password"
                autocomplete="new-password"
                placeholder="whsec_…"
                maxLength={200}
                value={draft.signingSecret}
                onInput={set("signingSecret")}
              />
            </label>
          ) : null}
        </fieldset>
        <fieldset class="filters">
          <legend>What it may run, and who</legend>
          <label class="field field-wide">
            <span>Method patterns, one per line (* = any run of characters)</span>
            <textarea
              name="allowed_methods"
              rows={4}
              required
              spellcheck={false}
              placeholder={draft.kind === "frappe" ? "myapp.api.*\nSales Invoice.submit" : "jobs/*"}
              value={draft.patterns}
              onInput={set("patterns")}
            />
          </label>
          <RoleChecks
            legend="Roles that may enqueue them (System Manager always may)"
            roles={draft.roles}
            onChange={(roles) => setDraft((d) => ({ ...d, roles }))}
          />
          <label class="field">
            <span>Call timeout (s)</span>
            <input
              type="number"
              min={1}
              max={86400}
              placeholder="the task's timeout"
              value={draft.timeout}
              onInput={set("timeout")}
            />
          </label>
          <label class="field">
            <span>Largest answer read (KiB)</span>
            <input
              type="number"
              min={1}
              max={10240}
              required
              value={draft.maxResponseKb}
              onInput={set("maxResponseKb")}
            />
          </label>
        </fieldset>
        {form.error ? <ErrorBox error={new Error(form.error)} /> : null}
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary" disabled={form.busy}>
            {editing === undefined ? "Register target" : "Save changes…"}
          </button>
          <a
            class="btn"
            href={href(editing === undefined ? "/remote-targets" : `/remote-targets/${encodeURIComponent(editing)}`)}
          >
            Discard
          </a>
        </div>
      </form>
      <ConfirmDialog request={form.confirm} onClose={form.closeConfirm} />
    </section>
  );
}
