// The task list's filter form. Its state lives in the URL (the API's own query names), so a filtered
// list is a shareable link; Enter applies. An arguments condition is checked by the API's own
// grammar before it is applied (refused with the reason, never a silent "no match"), written
// canonically, and replaces any condition on the same path.
import { useEffect, useState } from "preact/hooks";
import { argText, parseArgCondition } from "../../../src/shared/arg-filter";
import { fromLocalInput, toLocalInput } from "../format";
import { navigate } from "../router";
import { isAdmin, useMe } from "../session";

const STATUSES = ["Pending", "Queued", "Started", "Finished", "Failed", "Canceled", "Paused"];
/** The query names the form edits (anything else in the URL is kept). */
const FIELDS = ["status", "method", "batch_id", "owner", "job_name", "created_after", "created_before"] as const;
type Field = (typeof FIELDS)[number];

/** The filter form; applying it navigates to the filtered URL. */
export function TaskFilters({ query, methods }: { query: URLSearchParams; methods: string[] }) {
  const admin = isAdmin(useMe());
  const [values, setValues] = useState<Record<Field, string>>(() => read(query));
  const [arg, setArg] = useState("");
  const [argError, setArgError] = useState<string | null>(null);
  const args = query.getAll("arg");
  useEffect(() => setValues(read(query)), [query.toString()]);

  const apply = (event: Event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const field of FIELDS) {
      const v = field.startsWith("created_") ? fromLocalInput(values[field]) : values[field].trim();
      if (v) next.set(field, v);
    }
    let kept = args;
    if (arg.trim()) {
      const condition = parseArgCondition(arg.trim());
      if ("error" in condition) {
        setArgError(condition.error);
        return;
      }
      // One condition per path: a new value for a path already filtered replaces its chip.
      kept = [...args.filter((a) => pathOf(a) !== condition.path), argText(condition)];
    }
    for (const a of kept) next.append("arg", a);
    setArg("");
    setArgError(null);
    navigate("/tasks", next);
  };
  const removeArg = (index: number) => {
    const next = new URLSearchParams(query);
    next.delete("arg");
    args.filter((_, i) => i !== index).forEach((a) => next.append("arg", a));
    navigate("/tasks", next);
  };
  const set = (field: Field) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setValues({ ...values, [field]: e.currentTarget.value });

  return (
    <form class="filters" onSubmit={apply} aria-label="Task filters">
      <label class="field">
        <span>Status</span>
        <select name="status" value={values.status} onChange={set("status")}>
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Method</span>
        <input name="method" list="method-options" value={values.method} onInput={set("method")} />
        <datalist id="method-options">
          {methods.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
      </label>
      <label class="field">
        <span>Job name contains</span>
        <input name="job_name" value={values.job_name} onInput={set("job_name")} />
      </label>
      <label class="field">
        <span>Batch</span>
        <input name="batch_id" value={values.batch_id} onInput={set("batch_id")} />
      </label>
      {admin ? (
        <label class="field">
          <span>Owner</span>
          <input name="owner" value={values.owner} onInput={set("owner")} />
        </label>
      ) : null}
      <label class="field">
        <span>Created after</span>
        <input type="datetime-local" name="created_after" value={values.created_after} onInput={set("created_after")} />
      </label>
      <label class="field">
        <span>Created before</span>
        <input
          type="datetime-local"
          name="created_before"
          value={values.created_before}
          onInput={set("created_before")}
        />
      </label>
      <label class="field field-wide">
        <span>Arguments match</span>
        <input
          name="arg"
          placeholder='customer = "CUST-0001"'
          value={arg}
          aria-invalid={argError !== null}
          aria-describedby={argError ? "arg-error" : undefined}
          onInput={(e) => {
            setArg(e.currentTarget.value);
            setArgError(null);
          }}
        />
        {argError ? (
          <span id="arg-error" class="bad small" role="alert">
            {argError}
          </span>
        ) : null}
      </label>
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary">
          Apply
        </button>
        <a class="btn" href="#/tasks">
          Clear
        </a>
      </div>
      {args.length > 0 ? (
        <ul class="chips" aria-label="Argument conditions">
          {args.map((a, i) => (
            <li key={a} class="chip">
              <code>{a}</code>
              <button type="button" class="chip-remove" aria-label={`Remove ${a}`} onClick={() => removeArg(i)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}

/** The canonical path of a condition in the URL (null when it does not parse: the API says why). */
function pathOf(arg: string): string | null {
  const condition = parseArgCondition(arg);
  return "error" in condition ? null : condition.path;
}

function read(query: URLSearchParams): Record<Field, string> {
  const out = {} as Record<Field, string>;
  for (const field of FIELDS) {
    const v = query.get(field) ?? "";
    out[field] = field.startsWith("created_") ? toLocalInput(v) : v;
  }
  return out;
}
