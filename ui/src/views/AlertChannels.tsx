// Alert channels (part of the Alerts page): where notices go — a signed webhook, a Slack-compatible
// webhook or email. The URL is write-only (shown as its origin); a webhook channel's signing
// secret is shown once, at creation. "Send test" sends a notice now and shows what came of it.
import { useState } from "preact/hooks";
import type { AlertChannel, WebhookDelivery } from "../../../src/contract/alerts";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { SecretOnce } from "../components/SecretOnce";
import { Empty, ErrorBox } from "../components/States";
import type { Resource } from "../hooks";
import type { Page } from "../types";

type Kind = AlertChannel["kind"];

/** What a delivery's first attempt came to, in words. */
export function deliveryOutcome(d: WebhookDelivery): string {
  if (d.status === "delivered") return `Delivered${d.response_status === null ? "" : ` (HTTP ${d.response_status})`}`;
  const why = d.last_error ?? "failed";
  return d.status === "pending" ? `Failed, will retry: ${why}` : `Gave up: ${why}`;
}

export function AlertChannels({
  channels,
  onChange,
}: {
  channels: Resource<Page<AlertChannel>>;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState<AlertChannel | null>(null);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("webhook");
  const [url, setUrl] = useState("");
  const [email, setEmail] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);

  const reset = () => {
    setEditing(null);
    setName("");
    setKind("webhook");
    setUrl("");
    setEmail("");
  };
  const edit = (c: AlertChannel) => {
    setEditing(c);
    setName(c.name);
    setKind(c.kind);
    setUrl("");
    setEmail(c.email ?? "");
    setError(null);
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      if (editing) {
        await api("PATCH", `/api/v1/alerts/channels/${editing.id}`, {
          name,
          ...(kind === "email" ? { email } : url === "" ? {} : { url }),
        });
      } else {
        const created = await api<AlertChannel & { signing_secret?: string }>("POST", "/api/v1/alerts/channels", {
          name,
          kind,
          ...(kind === "email" ? { email } : { url }),
        });
        if (created.signing_secret) setSecret(created.signing_secret);
      }
      reset();
      await channels.reload();
      onChange();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const test = async (c: AlertChannel) => {
    setResult(null);
    try {
      const { delivery } = await api<{ delivery: WebhookDelivery }>("POST", `/api/v1/alerts/channels/${c.id}/test`);
      setResult(`${c.name}: ${deliveryOutcome(delivery)}`);
      onChange();
    } catch (e) {
      setResult(`${c.name}: ${errorText(e)}`);
    }
  };
  const toggle = async (c: AlertChannel) => {
    try {
      await api("PATCH", `/api/v1/alerts/channels/${c.id}`, { enabled: !c.enabled });
      await channels.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = (c: AlertChannel) =>
    setConfirm({
      title: `Delete channel ${c.name}?`,
      body: "Notices stop going there. A channel that rules still use cannot be deleted.",
      confirmLabel: "Delete",
      danger: true,
      onConfirm: async () => {
        try {
          await api("DELETE", `/api/v1/alerts/channels/${c.id}`);
        } catch (e) {
          setError(errorText(e));
        }
        await channels.reload();
      },
    });

  return (
    <section aria-labelledby="channels-title" class="card">
      <h2 id="channels-title">Channels</h2>
      {channels.error ? <ErrorBox error={channels.error} /> : null}
      {channels.data && channels.data.data.length === 0 ? <Empty>No channels yet: add one below.</Empty> : null}
      {channels.data && channels.data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Destination</th>
                <th>State</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {channels.data.data.map((c) => (
                <tr key={c.id} data-channel={c.name}>
                  <td>{c.name}</td>
                  <td>{c.kind}</td>
                  <td class="mono">{c.url_origin ?? c.email ?? ""}</td>
                  <td>{c.enabled ? "enabled" : "disabled"}</td>
                  <td class="actions">
                    <button type="button" class="btn btn-small" onClick={() => void test(c)}>
                      Send test
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => edit(c)}>
                      Edit
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => void toggle(c)}>
                      {c.enabled ? "Disable" : "Enable"}
                    </button>
                    <button type="button" class="btn btn-small btn-danger-outline" onClick={() => remove(c)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {result ? (
        <p class="note" data-testid="channel-test-result" role="status">
          {result}
        </p>
      ) : null}
      {secret ? (
        <SecretOnce value={secret} onDone={() => setSecret(null)}>
          Copy this signing secret now: receivers verify notices with it, and it is not shown again.
        </SecretOnce>
      ) : null}
      <form class="filters" onSubmit={(e) => void save(e)} aria-label={editing ? "Edit channel" : "New channel"}>
        <label class="field">
          <span>Channel name</span>
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Channel kind</span>
          <select value={kind} disabled={editing !== null} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
            <option value="webhook">Signed webhook</option>
            <option value="slack">Slack-compatible webhook</option>
            <option value="email">Email</option>
          </select>
        </label>
        {kind === "email" ? (
          <label class="field">
            <span>Email address</span>
            <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          </label>
        ) : (
          <label class="field">
            <span>Channel URL</span>
            <input
              required={editing === null}
              placeholder={editing ? `keep (${editing.url_origin ?? ""}…)` : "https://"}
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </label>
        )}
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary">
            {editing ? "Save channel" : "Add channel"}
          </button>
          {editing ? (
            <button type="button" class="btn" onClick={reset}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
      {error ? <ErrorBox error={new Error(error)} /> : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
