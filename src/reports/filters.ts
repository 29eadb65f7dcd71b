// Report filters: which request parameters are filters, parsing them with the report's schema,
// and the canonical JSON (sorted keys) and hash that identify "the same request" for reuse.
import { zodFailure } from "../api/errors";
import type { ReportDefinition } from "./define";

/**
 * Request parameters that are never filters: Power Query's cache-busters (`_ts`, `_attempt`, `_`),
 * Frappe's `cmd`, the credential parameter and the report name itself.
 */
export const NOT_FILTERS: ReadonlySet<string> = new Set(["_ts", "_attempt", "_", "cmd", "api_key", "report_name"]);

/** JSON with object keys sorted at every level, so equal filters give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Hex SHA-256 of a text. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The filters in request arguments (Frappe's form_dict): every parameter except NOT_FILTERS.
 * A `filters` parameter holding a JSON object (Frappe's prepared-report style) is merged in.
 */
export function filtersFromArgs(args: Record<string, unknown>): Record<string, unknown> {
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
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Parses filters with the report's schema; 400 `invalid_filters` naming the filter otherwise. */
export function parseFilters(report: ReportDefinition, raw: Record<string, unknown>): Record<string, unknown> {
  const parsed = report.filters.safeParse(raw);
  if (!parsed.success) {
    throw zodFailure("invalid_filters", `invalid filters for report ${report.name}`, parsed.error, ["filters"]);
  }
  return (parsed.data ?? {}) as Record<string, unknown>;
}
