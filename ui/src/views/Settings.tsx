// Settings (System Manager): the global dispatcher switch, with a confirmation before suspending.
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { ErrorBox, Loading } from "../components/States";
import { formatDateTime } from "../format";
import { useResource } from "../hooks";
import type { DispatcherState } from "../types";

/** The settings page (dispatcher switch). */
export function Settings() {
  const state = useResource<DispatcherState>("/api/v1/dispatcher");
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (state.error) return <ErrorBox error={state.error} retry={() => void state.reload()} />;
  if (!state.data) return <Loading what="Loading settings" />;
  const enabled = state.data.enabled;
  const flip = () =>
    setConfirm({
      title: enabled ? "Suspend the dispatcher?" : "Resume the dispatcher?",
      body: enabled
        ? "No new task starts anywhere until it is resumed; running tasks finish."
        : "Waiting tasks start again, within each method's concurrency limit.",
      confirmLabel: enabled ? "Suspend" : "Resume",
      danger: enabled,
      onConfirm: async () => {
        try {
          await api("PUT", "/api/v1/dispatcher", { enabled: !enabled });
          setError(null);
        } catch (e) {
          setError(errorText(e));
        }
        await state.reload();
      },
    });
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <section class="card">
        <h2>Dispatcher</h2>
        <p data-testid="dispatcher-state">
          The dispatcher is <strong class={enabled ? "ok" : "bad"}>{enabled ? "running" : "suspended"}</strong>
          {state.data.updated_at ? ` (changed ${formatDateTime(state.data.updated_at)})` : ""}.
        </p>
        <button type="button" class={enabled ? "btn btn-danger" : "btn btn-primary"} onClick={flip}>
          {enabled ? "Suspend dispatcher…" : "Resume dispatcher…"}
        </button>
        {error ? <ErrorBox error={new Error(error)} /> : null}
      </section>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
