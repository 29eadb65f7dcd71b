// Alert rules (part of the Alerts page): what to watch, the threshold, the window and the channels;
// edit, mute for an hour, switch off and delete. The threshold's unit depends on the kind.
import { useState } from "preact/hooks";
import type { AlertChannel, AlertRule } from "../../../src/contract/alerts";
import { ALERT_KINDS, ALERT_WINDOWS, type AlertKind } from "../../../src/shared/alert-sets";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { Empty, ErrorBox } from "../components/States";
import { formatShort } from "../format";
import type { Resource } from "../hooks";
import type { Page } from "../types";

const UNIT: Record<AlertKind, string> = {
  failure_rate: "fraction of ended tasks (0.5 = half)",
  oldest_waiting: "seconds",
  schedule_overdue: "seconds late",
  schedule_missed: "missed slots",
  remote_auth: "(not used)",
  dead_letters: "dead letters",
  dispatcher_suspended: "minutes",
};
const SUBJECT: Record<AlertKind, "method" | "schedule" | "remote_target" | null> = {
  failure_rate: "method",
  oldest_waiting: "method",
  dead_letters: "method",
  schedule_overdue: "schedule",
  schedule_missed: "schedule",
  remote_auth: "remote_target",
  dispatcher_suspended: null,
};
const WINDOWS = Object.keys(ALERT_WINDOWS);

const subjectOf = (r: AlertRule) => r.method ?? r.schedule ?? r.remote_target ?? "all";

export function AlertRules({
  rules,
  channels,
  onChange,
}: {
  rules: Resource<Page<AlertRule>>;
  channels: Resource<Page<AlertChannel>>;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState<AlertRule | null>(null);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<AlertKind>("failure_rate");
  const [subject, setSubject] = useState("");
  const [threshold, setThreshold] = useState("0.5");
  const [window, setWindow] = useState("15m");
  const [minTasks, setMinTasks] = useState("1");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);

  const reset = () => {
    setEditing(null);
    setName("");
    setKind("failure_rate");
    setSubject("");
    setThreshold("0.5");
    setWindow("15m");
    setMinTasks("1");
    setChosen(new Set());
  };
  const edit = (r: AlertRule) => {
    setEditing(r);
    setName(r.name);
    setKind(r.kind);
    setSubject(r.method ?? r.schedule ?? r.remote_target ?? "");
    setThreshold(String(r.threshold));
    setWindow(r.window);
    setMinTasks(String(r.min_tasks));
    setChosen(new Set(r.channels));
    setError(null);
  };
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const field = SUBJECT[kind];
    const body = {
      name,
      threshold: Number(threshold),
      window,
      min_tasks: Number(minTasks),
      channels: [...chosen],
      ...(field === null ? {} : { [field]: subject.trim() === "" ? null : subject.trim() }),
    };
    try {
      if (editing) await api("PATCH", `/api/v1/alerts/rules/${editing.id}`, body);
      else await api("POST", "/api/v1/alerts/rules", { ...body, kind });
      reset();
      await rules.reload();
      onChange();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const patch = async (r: AlertRule, body: Record<string, unknown>) => {
    try {
      await api("PATCH", `/api/v1/alerts/rules/${r.id}`, body);
      await rules.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = (r: AlertRule) =>
    setConfirm({
      title: `Delete rule ${r.name}?`,
      body: "Its incidents are deleted with it, and no resolved notice is sent for one that fires now.",
      confirmLabel: "Delete",
      danger: true,
      onConfirm: async () => {
        try {
          await api("DELETE", `/api/v1/alerts/rules/${r.id}`);
        } catch (e) {
          setError(errorText(e));
        }
        await rules.reload();
        onChange();
      },
    });
  const muted = (r: AlertRule) => r.muted_until !== null && Date.parse(r.muted_until) > Date.now();
  const channelName = (id: string) => channels.data?.data.find((c) => c.id === id)?.name ?? id;
  const field = SUBJECT[kind];

  return (
    <section aria-labelledby="rules-title" class="card">
      <h2 id="rules-title">Rules</h2>
      {rules.error ? <ErrorBox error={rules.error} /> : null}
      {rules.data && rules.data.data.length === 0 ? <Empty>No rules yet: add one below.</Empty> : null}
      {rules.data && rules.data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Watches</th>
                <th>Threshold</th>
                <th>Channels</th>
                <th>State</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.data.data.map((r) => (
                <tr key={r.id} data-rule={r.name}>
                  <td>{r.name}</td>
                  <td>
                    {r.kind} · {subjectOf(r)}
                  </td>
                  <td>
                    {r.threshold}{" "}
                    {r.kind === "failure_rate" || r.kind === "dead_letters" || r.kind === "schedule_missed"
                      ? `in ${r.window}`
                      : ""}
                  </td>
                  <td>{r.channels.map(channelName).join(", ")}</td>
                  <td data-testid="rule-state">
                    {!r.enabled ? "off" : r.firing > 0 ? `firing (${r.firing})` : "ok"}
                    {muted(r) ? ` · muted until ${formatShort(r.muted_until)}` : ""}
                  </td>
                  <td class="actions">
                    <button type="button" class="btn btn-small" onClick={() => edit(r)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      class="btn btn-small"
                      onClick={() =>
                        void patch(r, { muted_until: muted(r) ? null : new Date(Date.now() + 3_600_000).toISOString() })
                      }
                    >
                      {muted(r) ? "Unmute" : "Mute 1 h"}
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => void patch(r, { enabled: !r.enabled })}>
                      {r.enabled ? "Switch off" : "Switch on"}
                    </button>
                    <button type="button" class="btn btn-small btn-danger-outline" onClick={() => remove(r)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <form class="filters" onSubmit={(e) => void save(e)} aria-label={editing ? "Edit rule" : "New rule"}>
        <label class="field">
          <span>Rule name</span>
          <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Watch</span>
          <select
            value={kind}
            disabled={editing !== null}
            onChange={(e) => setKind(e.currentTarget.value as AlertKind)}
          >
            {ALERT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </label>
        {field === null ? null : (
          <label class="field">
            <span>{field === "remote_target" ? "Remote target" : field === "method" ? "Method" : "Schedule"}</span>
            <input placeholder="all" value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
          </label>
        )}
        <label class="field">
          <span>Threshold ({UNIT[kind]})</span>
          <input required inputMode="decimal" value={threshold} onInput={(e) => setThreshold(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Window</span>
          <select value={window} onChange={(e) => setWindow(e.currentTarget.value)}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        {kind === "failure_rate" ? (
          <label class="field">
            <span>At least this many ended tasks</span>
            <input inputMode="numeric" value={minTasks} onInput={(e) => setMinTasks(e.currentTarget.value)} />
          </label>
        ) : null}
        <fieldset class="field">
          <legend>Notify</legend>
          {(channels.data?.data ?? []).map((c) => (
            <label key={c.id} class="check">
              <input
                type="checkbox"
                checked={chosen.has(c.id)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.currentTarget.checked) next.add(c.id);
                  else next.delete(c.id);
                  setChosen(next);
                }}
              />
              {c.name}
            </label>
          ))}
        </fieldset>
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary">
            {editing ? "Save rule" : "Add rule"}
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
