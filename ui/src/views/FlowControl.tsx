// A method's flow control on the Methods page: its settings in a line (fairness, per-key limits,
// throttle, rate limit, debounce, singleton, shards), and — opened — what they are doing now (running
// per key, throttles' next starts, waiting per fairness key, each shard's running tasks and slots) and, for System Managers, an editor for
// the task type's settings (JSON in Inngest's shape; a bad field is the API's 400, shown as is).
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import { Empty, ErrorBox, Loading } from "../components/States";
import { formatDateTime } from "../format";
import { useResource } from "../hooks";
import type { FlowControl, FlowUsage } from "../types";

const label = (key: string | undefined) => (key ?? "").replace(/^(arguments|event\.data)\./, "");

/** The settings in one line for people. */
export function describeFlow(flow: FlowControl | null | undefined): string {
  const parts: string[] = [];
  if (flow?.fairness === false) parts.push("first in, first out");
  else parts.push(`fair by ${label(flow?.fairness?.key ?? "owner")}`);
  for (const c of flow?.concurrency ?? []) parts.push(`${c.limit} per ${label(c.key)}`);
  if (flow?.throttle) {
    const t = flow.throttle;
    parts.push(`throttle ${t.limit}/${t.period}${t.burst ? ` +${t.burst}` : ""}${t.key ? ` per ${label(t.key)}` : ""}`);
  }
  if (flow?.rateLimit) {
    const r = flow.rateLimit;
    parts.push(`rate limit ${r.limit}/${r.period}${r.key ? ` per ${label(r.key)}` : ""}`);
  }
  if (flow?.debounce) parts.push(`debounce ${flow.debounce.period} by ${label(flow.debounce.key)}`);
  if (flow?.singleton) parts.push(`singleton by ${label(flow.singleton.key)} (${flow.singleton.mode})`);
  if (flow?.shards !== undefined && flow.shards > 1) parts.push(`over ${flow.shards} shards`);
  return parts.join(" · ");
}

/** The flow control cell of a method's row. */
export function FlowCell({
  method,
  effective,
  own,
  admin,
  onSaved,
}: {
  method: string;
  /** What the object admits by (task type's, else the code's). */
  effective: FlowControl | null;
  /** The task type's own settings (null: the code's apply). */
  own: FlowControl | null;
  admin: boolean;
  onSaved: () => void;
}) {
  const [open, setOpen] = useState(false);
  return (
    <div data-testid="flow">
      <span class="small">{describeFlow(effective)}</span>
      {own ? <span class="muted small"> (task type)</span> : null}
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>Flow control</summary>
        {open ? <FlowPanel method={method} own={own} effective={effective} admin={admin} onSaved={onSaved} /> : null}
      </details>
    </div>
  );
}

function FlowPanel({
  method,
  own,
  effective,
  admin,
  onSaved,
}: {
  method: string;
  own: FlowControl | null;
  effective: FlowControl | null;
  admin: boolean;
  onSaved: () => void;
}) {
  const usage = useResource<FlowUsage>(`/api/v1/task-types/${encodeURIComponent(method)}/flow`);
  return (
    <div class="flow-panel">
      {usage.error ? <ErrorBox error={usage.error} retry={() => void usage.reload()} /> : null}
      {!usage.data && !usage.error ? <Loading what="Loading flow control" /> : null}
      {usage.data ? <Usage usage={usage.data} /> : null}
      {admin ? (
        <FlowEditor
          method={method}
          own={own}
          effective={effective}
          onSaved={() => {
            onSaved();
            void usage.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function Usage({ usage }: { usage: FlowUsage }) {
  const nothing =
    usage.keys.length +
      usage.singletons.length +
      usage.throttles.length +
      usage.waiting.length +
      usage.shards.length ===
      0 && usage.throttled + usage.rate_limited === 0;
  return (
    <div data-testid="flow-usage">
      <p class="small">
        {usage.running} running{usage.limit > 0 ? ` of ${usage.limit}` : ""} · {usage.throttled} throttled ·{" "}
        {usage.rate_limited} rate-limited so far
      </p>
      {nothing ? <Empty>Nothing waits or runs under these settings now.</Empty> : null}
      <ul class="small">
        {usage.keys.map((k) => (
          <li key={`k-${k.key}-${k.value}`} data-testid="flow-key">
            {k.running} of {k.limit} running for {k.key} = {k.value === "" ? "(not set)" : k.value}
          </li>
        ))}
        {usage.singletons.map((s) => (
          <li key={`s-${s.value}`}>
            singleton {s.value}: {s.running} live run
          </li>
        ))}
        {usage.throttles.map((t) => (
          <li key={`t-${t.value}`}>
            throttle{t.value === "" ? "" : ` for ${t.value}`}:{" "}
            {t.next_start_at ? `next start at ${formatDateTime(t.next_start_at)}` : "a start is allowed now"}
          </li>
        ))}
        {usage.waiting.map((w) => (
          <li key={`w-${w.fair_key}`}>
            {w.waiting} waiting for {w.fair_key === "" ? "(everyone)" : w.fair_key}
          </li>
        ))}
        {usage.shards.map((s) => (
          <li key={`shard-${s.shard}`} data-testid="flow-shard">
            shard {s.shard}: {s.running} running
            {s.slots === null ? "" : ` on ${s.slots} slot${s.slots === 1 ? "" : "s"} of the limit`}
          </li>
        ))}
      </ul>
    </div>
  );
}

const EXAMPLE: FlowControl = {
  concurrency: [{ key: "arguments.customer", limit: 2 }],
  throttle: { limit: 20, period: "1s", burst: 5 },
};

function FlowEditor({
  method,
  own,
  effective,
  onSaved,
}: {
  method: string;
  own: FlowControl | null;
  effective: FlowControl | null;
  onSaved: () => void;
}) {
  const [text, setText] = useState(JSON.stringify(own ?? effective ?? EXAMPLE, null, 2));
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const put = async (flow: FlowControl | null) => {
    try {
      await api("PUT", `/api/v1/task-types/${encodeURIComponent(method)}`, { flow_control: flow });
      setStatus({ ok: true, text: flow === null ? "Back to the settings in code." : "Saved." });
      onSaved();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return setStatus({ ok: false, text: "Not JSON: write the settings as a JSON object." });
    }
    void put(parsed as FlowControl);
  };
  return (
    <form onSubmit={save} aria-label={`Flow control of ${method}`}>
      <label class="field field-wide">
        <span>
          Settings (JSON: fairness, concurrency, throttle, rateLimit, debounce, singleton, shards — see
          docs/flow-control.md)
        </span>
        <textarea
          rows={8}
          class="mono"
          aria-label={`Flow control settings of ${method}`}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setStatus(null);
          }}
        />
      </label>
      <button type="submit" class="btn btn-small">
        Save flow control
      </button>{" "}
      {own ? (
        <button type="button" class="btn btn-small" onClick={() => void put(null)}>
          Use the code's settings
        </button>
      ) : null}
      {status ? (
        <span class={status.ok ? "muted small" : "bad small"} role={status.ok ? "status" : "alert"}>
          {" "}
          {status.text}
        </span>
      ) : null}
    </form>
  );
}
