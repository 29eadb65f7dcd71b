// Webhook subscriptions: a user's own completion webhooks (System Managers see everyone's) — for a
// method, an owner or a batch, the events wanted and where to post them. The URL is write-only
// (shown as its origin); the signing secret is shown once. Each subscription's delivery log is one
// click away, and "Send test" posts a webhook.test event now.
import { useState } from "preact/hooks";
import type { WebhookDelivery, WebhookSubscription } from "../../../src/contract/alerts";
import { WEBHOOK_EVENTS, type WebhookEvent } from "../../../src/shared/alert-sets";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { SecretOnce } from "../components/SecretOnce";
import { Empty, ErrorBox } from "../components/States";
import { useResource } from "../hooks";
import type { Page } from "../types";
import { deliveryOutcome } from "./AlertChannels";
import { DeliveryTable } from "./Alerts";

type Scope = WebhookSubscription["scope"];
const scopeValue = (s: WebhookSubscription) => s.method ?? s.scope_owner ?? s.batch_id ?? "";

export function Webhooks() {
  const subs = useResource<Page<WebhookSubscription>>("/api/v1/webhooks");
  const [editing, setEditing] = useState<WebhookSubscription | null>(null);
  const [scope, setScope] = useState<Scope>("method");
  const [value, setValue] = useState("");
  const [events, setEvents] = useState<Set<WebhookEvent>>(new Set(["task.finished", "task.failed"]));
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const log = useResource<Page<WebhookDelivery>>(
    shown === null ? null : `/api/v1/webhooks/${shown}/deliveries?limit=50`,
  );

  const reset = () => {
    setEditing(null);
    setScope("method");
    setValue("");
    setEvents(new Set(["task.finished", "task.failed"]));
    setUrl("");
    setDescription("");
  };
  const edit = (s: WebhookSubscription) => {
    setEditing(s);
    setScope(s.scope);
    setValue(scopeValue(s));
    setEvents(new Set(s.events));
    setUrl("");
    setDescription(s.description ?? "");
    setError(null);
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      if (editing) {
        await api("PATCH", `/api/v1/webhooks/${editing.id}`, {
          events: [...events],
          description: description === "" ? null : description,
          ...(url === "" ? {} : { url }),
        });
      } else {
        const key = scope === "batch" ? "batch_id" : scope;
        const created = await api<{ signing_secret: string }>("POST", "/api/v1/webhooks", {
          [key]: value.trim(),
          events: [...events],
          url,
          ...(description === "" ? {} : { description }),
        });
        setSecret(created.signing_secret);
      }
      reset();
      await subs.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const test = async (s: WebhookSubscription) => {
    setResult(null);
    try {
      const { delivery } = await api<{ delivery: WebhookDelivery }>("POST", `/api/v1/webhooks/${s.id}/test`);
      setResult(deliveryOutcome(delivery));
      if (shown === s.id) await log.reload();
    } catch (e) {
      setResult(errorText(e));
    }
  };
  const toggle = async (s: WebhookSubscription) => {
    try {
      await api("PATCH", `/api/v1/webhooks/${s.id}`, { enabled: !s.enabled });
      await subs.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = (s: WebhookSubscription) =>
    setConfirm({
      title: "Delete this subscription?",
      body: `Events for ${s.scope} ${scopeValue(s)} stop going to ${s.url_origin}.`,
      confirmLabel: "Delete",
      danger: true,
      onConfirm: async () => {
        try {
          await api("DELETE", `/api/v1/webhooks/${s.id}`);
        } catch (e) {
          setError(errorText(e));
        }
        if (shown === s.id) setShown(null);
        await subs.reload();
      },
    });

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p class="note">
        Completion webhooks post task and batch ends to your URL, signed (Standard Webhooks). Receivers verify them with
        the subscription&apos;s secret and drop a webhook-id they have already handled.
      </p>
      {subs.error ? <ErrorBox error={subs.error} /> : null}
      {subs.data && subs.data.data.length === 0 ? <Empty>No webhook subscriptions yet.</Empty> : null}
      {subs.data && subs.data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>For</th>
                <th>Events</th>
                <th>To</th>
                <th>Owner</th>
                <th>State</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {subs.data.data.map((s) => (
                <tr key={s.id} data-subscription={s.id}>
                  <td>
                    {s.scope} {scopeValue(s)}
                    {s.description ? ` — ${s.description}` : ""}
                  </td>
                  <td>{s.events.join(", ")}</td>
                  <td class="mono">{s.url_origin}</td>
                  <td>{s.owner}</td>
                  <td>{s.enabled ? "enabled" : "disabled"}</td>
                  <td class="actions">
                    <button type="button" class="btn btn-small" onClick={() => void test(s)}>
                      Send test
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => setShown(shown === s.id ? null : s.id)}>
                      Deliveries
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => edit(s)}>
                      Edit
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => void toggle(s)}>
                      {s.enabled ? "Disable" : "Enable"}
                    </button>
                    <button type="button" class="btn btn-small btn-danger-outline" onClick={() => remove(s)}>
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
        <p class="note" data-testid="webhook-test-result" role="status">
          {result}
        </p>
      ) : null}
      {shown !== null && log.data ? (
        <section aria-label="Deliveries of the subscription" class="card">
          {log.data.data.length === 0 ? <Empty>Nothing delivered yet.</Empty> : null}
          {log.data.data.length > 0 ? (
            <DeliveryTable rows={log.data.data} targetName={() => "this subscription"} />
          ) : null}
        </section>
      ) : null}
      {secret ? (
        <SecretOnce value={secret} onDone={() => setSecret(null)}>
          Copy this signing secret now: verify deliveries with it. It is not shown again.
        </SecretOnce>
      ) : null}
      <form
        class="card filters"
        onSubmit={(e) => void save(e)}
        aria-label={editing ? "Edit subscription" : "New subscription"}
      >
        <label class="field">
          <span>Subscribe to</span>
          <select value={scope} disabled={editing !== null} onChange={(e) => setScope(e.currentTarget.value as Scope)}>
            <option value="method">A method</option>
            <option value="owner">An owner&apos;s tasks</option>
            <option value="batch">A batch</option>
          </select>
        </label>
        <label class="field">
          <span>{scope === "method" ? "Method" : scope === "owner" ? "Owner" : "Batch id"}</span>
          <input required disabled={editing !== null} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <fieldset class="field">
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map((ev) => (
            <label key={ev} class="check">
              <input
                type="checkbox"
                checked={events.has(ev)}
                onChange={(e) => {
                  const next = new Set(events);
                  if (e.currentTarget.checked) next.add(ev);
                  else next.delete(ev);
                  setEvents(next);
                }}
              />
              {ev}
            </label>
          ))}
        </fieldset>
        <label class="field">
          <span>Webhook URL</span>
          <input
            required={editing === null}
            placeholder={editing ? `keep (${editing.url_origin}…)` : "https://"}
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Description</span>
          <input maxLength={200} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary" disabled={events.size === 0}>
            {editing ? "Save subscription" : "Subscribe"}
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
