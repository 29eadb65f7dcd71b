// Turns a stored result (gzip NDJSON in R2) into the response formats by streaming transforms:
// Frappe's {"message": {"columns", "result"}} JSON, CSV, or NDJSON. Nothing is buffered beyond one chunk.
import type { Column } from "./define";

export const RESULT_FORMATS = ["json", "csv", "ndjson"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export const CONTENT_TYPES: Record<ResultFormat, string> = {
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
};

/** The columns as get_result shows them (only the keys Frappe's columns have). */
export function publicColumns(columns: readonly Column[]) {
  return columns.map((c) => ({
    fieldname: c.fieldname,
    label: c.label,
    fieldtype: c.fieldtype,
    ...(c.options === undefined ? {} : { options: c.options }),
    ...(c.width === undefined ? {} : { width: c.width }),
  }));
}

/**
 * Joins NDJSON lines into the body of a JSON array and wraps it in `prefix`/`suffix`. Every line
 * ends with "\n" and JSON never contains a raw newline, so each newline but the last becomes ",\n".
 */
function jsonArray(prefix: string, suffix: string): TransformStream<string, string> {
  let held = false;
  return new TransformStream({
    start(controller) {
      controller.enqueue(prefix);
    },
    transform(chunk, controller) {
      let text = held ? `\n${chunk}` : chunk;
      held = text.endsWith("\n");
      if (held) text = text.slice(0, -1);
      if (text.length > 0) controller.enqueue(text.replaceAll("\n", ",\n"));
    },
    flush(controller) {
      controller.enqueue(suffix);
    },
  });
}

/** One CSV field (RFC 4180): quoted when it holds a separator, quote, line break or edge space. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text =
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : JSON.stringify(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** NDJSON rows → CSV with a header of column labels. */
function csv(columns: readonly Column[]): TransformStream<string, string> {
  let rest = "";
  const toLine = (line: string) => {
    const row = JSON.parse(line) as Record<string, unknown>;
    return columns.map((c) => csvField(row[c.fieldname])).join(",") + "\r\n";
  };
  return new TransformStream({
    start(controller) {
      controller.enqueue(columns.map((c) => csvField(c.label)).join(",") + "\r\n");
    },
    transform(chunk, controller) {
      const text = rest + chunk;
      let out = "";
      let start = 0;
      for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
        out += toLine(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start);
      if (out.length > 0) controller.enqueue(out);
    },
    flush(controller) {
      if (rest.trim().length > 0) controller.enqueue(toLine(rest));
    },
  });
}

/** The response body for a stored result in `format`. */
export function resultBody(
  stored: ReadableStream<Uint8Array>,
  columns: readonly Column[],
  format: ResultFormat,
): ReadableStream<Uint8Array> {
  const ndjson = stored.pipeThrough(new DecompressionStream("gzip"));
  if (format === "ndjson") return ndjson;
  const text = ndjson.pipeThrough(new TextDecoderStream());
  const transform =
    format === "csv"
      ? csv(columns)
      : jsonArray(`{"message":{"columns":${JSON.stringify(publicColumns(columns))},"result":[\n`, "\n]}}\n");
  return text.pipeThrough(transform).pipeThrough(new TextEncoderStream());
}
