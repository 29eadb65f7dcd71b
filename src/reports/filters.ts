// Report filters: which request parameters are filters, parsing them with the report's schema,
// and the canonical JSON (sorted keys) and hash that identify "the same request" for reuse.
import { z } from "zod";
import { invalid, invalidInput } from "../shared/errors";
import { nestsDeeperThan } from "../shared/json-depth";
import type { ReportDefinition } from "./define";

/**
 * Request parameters that are never filters: Power Query's cache-busters (`_ts`, `_attempt`, `_`),
 * Frappe's `cmd`, the credential parameter and the report name itself.
 */
export const NOT_FILTERS: ReadonlySet<string> = new Set(["_ts", "_attempt", "_", "cmd", "api_key", "report_name"]);

/**
 * The filters in request arguments (Frappe's form_dict): every parameter except NOT_FILTERS.
 * A `filters` parameter holding a JSON object (Frappe's prepared-report style) is merged in.
 * Query strings and forms carry only text, so a text value whose filter the report types as a
 * number or boolean is converted — exactly, never by loose coercion ("7" → 7, "1"/"true" → true);
 * anything else stays text and the report's schema refuses it.
 */
export function filtersFromArgs(report: ReportDefinition, args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (NOT_FILTERS.has(key)) continue;
    if (key === "filters") {
      const parsed: unknown = typeof value === "string" ? safeJson(value) : value;
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
        Object.assign(out, parsed);
        continue;
      }
    }
    out[key] = value;
  }
  const types = filterTypes(report);
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === "string") out[key] = fromText(value, types.get(key));
  }
  return out;
}

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function fromText(text: string, type: string | undefined): unknown {
  if ((type === "number" || type === "integer") && NUMBER.test(text.trim())) return Number(text.trim());
  if (type === "boolean") {
    if (["1", "true", "True"].includes(text)) return true;
    if (["0", "false", "False"].includes(text)) return false;
  }
  return text;
}

const typesByReport = new WeakMap<ReportDefinition, Map<string, string>>();

/** The JSON type each top-level filter expects (from the report's schema), memoised per report. */
function filterTypes(report: ReportDefinition): Map<string, string> {
  let types = typesByReport.get(report);
  if (!types) {
    types = new Map();
    const schema = z.toJSONSchema(report.filters, { io: "input", unrepresentable: "any" });
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (typeof property === "object" && typeof property.type === "string") types.set(key, property.type);
    }
    typesByReport.set(report, types);
  }
  return types;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** How deeply filters may nest (they are stored and hashed as JSON). */
const FILTERS_MAX_DEPTH = 16;

/**
 * Parses filters with the report's schema, which types them: a JSON body must send numbers as
 * numbers. 400 `invalid_filters` naming the filter otherwise.
 */
export function parseFilters(report: ReportDefinition, raw: Record<string, unknown>): Record<string, unknown> {
  if (nestsDeeperThan(raw, FILTERS_MAX_DEPTH)) {
    throw invalid("invalid_filters", `filters nest deeper than ${FILTERS_MAX_DEPTH} levels`);
  }
  const parsed = report.filters.safeParse(raw);
  if (!parsed.success) {
    throw invalidInput("invalid_filters", `invalid filters for report ${report.name}`, parsed.error, ["filters"]);
  }
  return (parsed.data ?? {}) as Record<string, unknown>;
}
