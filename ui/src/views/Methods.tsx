// Methods and task types: what this deployment can run (with argument schemas) — its own methods and
// the remote targets' patterns — and each method's concurrency limit and priority, editable by System
// Managers (a remote method's by its full name).
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import { Described } from "../components/Described";
import { JsonView } from "../components/JsonView";
import { Empty, ErrorBox, Loading } from "../components/States";
import { useResource } from "../hooks";
import { href } from "../router";
import { isAdmin, useMe } from "../session";
import type { MethodInfo, Page, TaskType } from "../types";
import { FlowCell } from "./FlowControl";
import { matchesPattern } from "../../../src/shared/method-patterns";
import { CONCURRENCY_LIMIT_MAX as LIMIT_MAX, PRIORITY_BOUND } from "../../../src/shared/limits";

/** The methods page (task types editable by System Managers). */
export function Methods() {
  const admin = isAdmin(useMe());
  const methods = useResource<Page<MethodInfo>>("/api/v1/methods");
  const types = useResource<Page<TaskType>>("/api/v1/task-types");
  if (methods.error) return <ErrorBox error={methods.error} retry={() => void methods.reload()} />;
  if (!methods.data) return <Loading what="Loading methods" />;
  const typeOf = new Map((types.data?.data ?? []).map((t) => [t.method, t]));
  const configured = configuredRemoteMethods(methods.data.data, types.data?.data ?? []);
  if (methods.data.data.length === 0 && configured.length === 0) {
    return (
      <section aria-labelledby="methods-title">
        <h1 id="methods-title">Methods and task types</h1>
        <Empty>
          No methods are registered: add one with defineTask in src/methods/, or register a remote target's methods.
        </Empty>
      </section>
    );
  }
  return (
    <section aria-labelledby="methods-title">
      <h1 id="methods-title">Methods and task types</h1>
      <div class="table-wrap">
        <table class="table table-wrapping">
          <thead>
            <tr>
              <th>Method</th>
              <th>Queue</th>
              <th class="num">Timeout</th>
              <th>Roles</th>
              <th>Concurrency limit</th>
              <th>Priority</th>
              <th>Flow control</th>
              <th>Arguments</th>
            </tr>
          </thead>
          <tbody>
            {[...methods.data.data, ...configured].map((m) => (
              <MethodRow
                key={m.method}
                method={m}
                type={typeOf.get(m.method)}
                admin={admin}
                onSaved={() => void types.reload()}
              />
            ))}
          </tbody>
        </table>
      </div>
      {admin ? <RemoteTypeForm onSaved={() => void types.reload()} /> : null}
    </section>
  );
}

/**
 * Remote methods with their own limit or priority: task types whose names only a target's pattern
 * lists. Each is shown as its pattern is — the target's roles, queue and timeout — since that
 * pattern is what lets it run (a type whose target no longer allows it is shown as such).
 */
function configuredRemoteMethods(listed: MethodInfo[], types: TaskType[]): MethodInfo[] {
  const names = new Set(listed.map((m) => m.method));
  return types
    .filter((t) => !names.has(t.method) && t.method.includes(":"))
    .map((t) => {
      const target = t.method.slice(0, t.method.indexOf(":"));
      const pattern = listed.find(
        (m) =>
          m.remote_target === target &&
          matchesPattern(t.method.slice(target.length + 1), m.method.slice(target.length + 1)),
      );
      return {
        method: t.method,
        description: pattern ? `matches ${pattern.method}` : `no pattern of ${target} allows it any more`,
        document_type: null,
        document_action: null,
        queue: pattern?.queue ?? null,
        timeout: pattern?.timeout ?? null,
        roles: pattern?.roles ?? [],
        can_enqueue: pattern?.can_enqueue ?? false,
        arguments_schema: { type: "object" },
        remote_target: target,
        flow_control: null,
      };
    });
}

/** What a save said: done, or why not (shown as an error, not in the muted "saved" style). */
type SaveStatus = { ok: boolean; text: string } | null;

/** The task-type body from the two inputs' text, or why it cannot be sent (as the API would refuse it). */
function typeBody(limit: string, priority: string): { concurrency_limit: number; priority: number } | string {
  const l = Number(limit);
  const p = Number(priority);
  if (limit.trim() === "" || !Number.isInteger(l) || l < 0 || l > LIMIT_MAX) {
    return `The concurrency limit is a whole number from 0 (unlimited) to ${LIMIT_MAX}.`;
  }
  if (priority.trim() === "" || !Number.isInteger(p) || Math.abs(p) > PRIORITY_BOUND) {
    return `The priority is a whole number from -${PRIORITY_BOUND} to ${PRIORITY_BOUND}.`;
  }
  return { concurrency_limit: l, priority: p };
}

/** An input handler that sets a field and clears the last save's status (it described other values). */
function edited(set: (value: string) => void, setStatus: (status: SaveStatus) => void) {
  return (event: { currentTarget: { value: string } }) => {
    set(event.currentTarget.value);
    setStatus(null);
  };
}

function StatusText({ status }: { status: SaveStatus }) {
  if (!status) return null;
  return (
    <span class={status.ok ? "muted small" : "bad small"} role={status.ok ? "status" : "alert"}>
      {" "}
      {status.text}
    </span>
  );
}

/** Sets the concurrency limit and priority of one remote method by its full name (patterns list many). */
function RemoteTypeForm({ onSaved }: { onSaved: () => void }) {
  const [method, setMethod] = useState("");
  const [limit, setLimit] = useState("0");
  const [priority, setPriority] = useState("0");
  const [status, setStatus] = useState<SaveStatus>(null);
  const save = async (event: Event) => {
    event.preventDefault();
    const body = typeBody(limit, priority);
    if (typeof body === "string") return setStatus({ ok: false, text: body });
    try {
      await api("PUT", `/api/v1/task-types/${encodeURIComponent(method.trim())}`, body);
      setStatus({ ok: true, text: `Saved ${method.trim()}.` });
      setMethod("");
      onSaved();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  };
  return (
    <form class="card filters" onSubmit={(e) => void save(e)} aria-label="Limit a remote method">
      <p class="field-wide muted small">
        A remote target's pattern stands for many methods: set a concurrency limit or priority for one of them by its
        full name.
      </p>
      <label class="field field-wide">
        <span>Remote method</span>
        <input
          required
          maxLength={300}
          placeholder="erp:myapp.api.sync_customer"
          value={method}
          onInput={edited(setMethod, setStatus)}
        />
      </label>
      <label class="field">
        <span>Concurrency limit (0 = unlimited)</span>
        <input type="number" required min={0} max={LIMIT_MAX} value={limit} onInput={edited(setLimit, setStatus)} />
      </label>
      <label class="field">
        <span>Priority</span>
        <input
          type="number"
          required
          min={-PRIORITY_BOUND}
          max={PRIORITY_BOUND}
          value={priority}
          onInput={edited(setPriority, setStatus)}
        />
      </label>
      <div class="filter-actions">
        <button type="submit" class="btn">
          Save
        </button>
        <StatusText status={status} />
      </div>
    </form>
  );
}

function MethodRow({
  method,
  type,
  admin,
  onSaved,
}: {
  method: MethodInfo;
  type?: TaskType;
  admin: boolean;
  onSaved: () => void;
}) {
  const [limit, setLimit] = useState<string | null>(null);
  const [priority, setPriority] = useState<string | null>(null);
  const [status, setStatus] = useState<SaveStatus>(null);
  const save = async (event: Event) => {
    event.preventDefault();
    const body = typeBody(limit ?? String(type?.concurrency_limit ?? 0), priority ?? String(type?.priority ?? 0));
    if (typeof body === "string") return setStatus({ ok: false, text: body });
    try {
      await api("PUT", `/api/v1/task-types/${encodeURIComponent(method.method)}`, body);
      setStatus({ ok: true, text: "Saved" });
      setLimit(null);
      setPriority(null);
      onSaved();
    } catch (e) {
      setStatus({ ok: false, text: errorText(e) });
    }
  };
  const formId = `type-${method.method}`;
  return (
    <tr data-method={method.method}>
      <td class="cell-main">
        {method.method.includes("*") ? (
          <span class="mono">{method.method}</span>
        ) : (
          <a href={href("/tasks", { method: method.method })}>{method.method}</a>
        )}
        {method.remote_target !== null ? (
          <div class="muted small">
            runs on{" "}
            {admin ? (
              <a href={href(`/remote-targets/${encodeURIComponent(method.remote_target)}`)}>{method.remote_target}</a>
            ) : (
              method.remote_target
            )}
            {method.method.includes("*") ? " · a pattern: * is any run of characters" : ""}
            {!method.method.includes("*") && method.description ? ` · ${method.description}` : ""}
          </div>
        ) : method.description ? (
          <div class="muted small description">
            <Described text={method.description} />
          </div>
        ) : null}
      </td>
      <td>{method.queue ?? "default"}</td>
      <td class="num">{method.timeout === null ? "queue default" : `${method.timeout} s`}</td>
      <td data-testid="roles">{method.roles.length > 0 ? method.roles.join(", ") : "System Manager"}</td>
      {method.method.includes("*") ? (
        <td colSpan={2} class="muted small">
          {admin ? "set per method name (below)" : "set per method name"}
        </td>
      ) : admin ? (
        <>
          <td>
            <form id={formId} onSubmit={(e) => void save(e)} class="inline-form">
              <input
                type="number"
                required
                min={0}
                max={LIMIT_MAX}
                aria-label={`Concurrency limit of ${method.method} (0 = unlimited)`}
                value={limit ?? type?.concurrency_limit ?? 0}
                onInput={edited(setLimit, setStatus)}
              />
              {Number(limit ?? type?.concurrency_limit ?? 0) === 0 ? <span class="muted small"> unlimited</span> : null}
            </form>
          </td>
          <td>
            <input
              form={formId}
              type="number"
              required
              min={-PRIORITY_BOUND}
              max={PRIORITY_BOUND}
              aria-label={`Priority of ${method.method}`}
              value={priority ?? type?.priority ?? 0}
              onInput={edited(setPriority, setStatus)}
            />
            <button form={formId} type="submit" class="btn btn-small">
              Save
            </button>
            <StatusText status={status} />
          </td>
        </>
      ) : (
        <>
          <td data-testid="limit">{type?.concurrency_limit ? type.concurrency_limit : "unlimited"}</td>
          <td>{type?.priority ?? 0}</td>
        </>
      )}
      <td>
        {method.method.includes("*") ? (
          <span class="muted small">set per method name</span>
        ) : (
          <FlowCell
            method={method.method}
            effective={type?.effective_flow_control ?? method.flow_control}
            own={type?.flow_control ?? null}
            admin={admin}
            onSaved={onSaved}
          />
        )}
      </td>
      <td>
        <details>
          <summary>Schema</summary>
          <JsonView value={method.arguments_schema} label={`Argument schema of ${method.method}`} />
        </details>
      </td>
    </tr>
  );
}
