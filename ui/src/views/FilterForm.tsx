// A form generated from a report's filter schema (JSON Schema from its zod filters): numbers,
// booleans, enums, dates and text, with the schema's defaults.
import { useState } from "preact/hooks";

interface Property {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
}

function properties(schema: unknown): [string, Property][] {
  if (typeof schema !== "object" || schema === null || !("properties" in schema)) return [];
  const props = (schema as { properties?: Record<string, Property> }).properties ?? {};
  return Object.entries(props);
}

const typeOf = (p: Property) => (Array.isArray(p.type) ? p.type.find((t) => t !== "null") : p.type) ?? "string";

/** The form; `onSubmit` gets the filters (empty fields left out, numbers as numbers). */
export function FilterForm({
  schema,
  busy,
  onSubmit,
}: {
  schema: unknown;
  busy: boolean;
  onSubmit: (filters: Record<string, unknown>) => void;
}) {
  const props = properties(schema);
  const required = new Set((schema as { required?: string[] } | null)?.required ?? []);
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(
      props.map(([k, p]) => [
        k,
        typeOf(p) === "boolean"
          ? p.default === true
          : typeof p.default === "number" || typeof p.default === "string"
            ? String(p.default)
            : "",
      ]),
    ),
  );
  const submit = (event: Event) => {
    event.preventDefault();
    const filters: Record<string, unknown> = {};
    for (const [k, p] of props) {
      const v = values[k];
      if (v === "" || v === undefined) continue;
      const t = typeOf(p);
      filters[k] = t === "integer" || t === "number" ? Number(v) : v;
    }
    onSubmit(filters);
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Report filters">
      {props.map(([k, p]) => {
        const t = typeOf(p);
        const label = (
          <span>
            {k.replace(/_/g, " ")}
            {required.has(k) && p.default === undefined ? " *" : ""}
          </span>
        );
        if (t === "boolean") {
          return (
            <label key={k} class="field field-check">
              <input
                type="checkbox"
                name={k}
                checked={values[k] === true}
                onChange={(e) => setValues({ ...values, [k]: e.currentTarget.checked })}
              />
              {label}
            </label>
          );
        }
        if (p.enum) {
          return (
            <label key={k} class="field">
              {label}
              <select
                name={k}
                value={String(values[k] ?? "")}
                onChange={(e) => setValues({ ...values, [k]: e.currentTarget.value })}
              >
                <option value="">—</option>
                {p.enum.map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </select>
            </label>
          );
        }
        return (
          <label key={k} class="field" title={p.description}>
            {label}
            <input
              name={k}
              type={t === "integer" || t === "number" ? "number" : p.format === "date" ? "date" : "text"}
              min={p.minimum}
              max={p.maximum}
              value={String(values[k] ?? "")}
              onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })}
            />
          </label>
        );
      })}
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Run report
        </button>
      </div>
    </form>
  );
}
