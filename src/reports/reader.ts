// Turns a stored result (gzip NDJSON in R2) into the response formats by streaming: Frappe's
// {"message": {"columns", "result"}} JSON, CSV, or NDJSON. Nothing is read before the client asks for
// it, and nothing is buffered beyond one response chunk.
import type { Column } from "../shared/report-column";
import { pulled, type FormatStep } from "./output";

/** The formats a result can be read in (`?format=`). */
export const RESULT_FORMATS = ["json", "csv", "ndjson"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

/** The Content-Type of each format. */
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

const NEWLINE = 10;
const COMMA = 44;

/**
 * Joins NDJSON lines into the body of a JSON array wrapped in `prefix`/`suffix`, on bytes (no
 * decoding, no allocation per chunk): every line ends with "\n" and JSON never holds a raw newline,
 * so each newline but the last becomes ",\n" — a newline is held until more data shows it was not
 * the last.
 */
export function jsonArray(prefix: string, suffix: string): FormatStep {
  let held = false;
  return {
    start: (out) => out.text(prefix),
    chunk(chunk, out) {
      const buffer = out.reserve(chunk.byteLength * 2 + 2);
      let pos = out.size;
      for (let i = 0; i < chunk.byteLength; i++) {
        const byte = chunk[i] as number;
        if (byte === NEWLINE) {
          held = true;
          continue;
        }
        if (held) {
          buffer[pos++] = COMMA;
          buffer[pos++] = NEWLINE;
          held = false;
        }
        buffer[pos++] = byte;
      }
      out.size = pos;
    },
    end: (out) => out.text(suffix),
  };
}

/**
 * One CSV field (RFC 4180): quoted when it holds a separator, quote, line break or edge space.
 * Numbers go through JSON.stringify, not String(): V8 keeps what String() makes of a number in a
 * cache in its old generation, which promoted one string per field to garbage a full GC collects.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return JSON.stringify(value);
  const text = typeof value === "string" ? value : typeof value === "boolean" ? String(value) : JSON.stringify(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** How many characters of NDJSON lines the CSV format parses at a time. */
const CSV_BATCH_CHARS = 8 * 1024;

/** NDJSON rows → CSV with a header of column labels, a few KB of whole lines parsed at a time. */
function csv(columns: readonly Column[]): FormatStep {
  const decoder = new TextDecoder();
  const names = columns.map((c) => c.fieldname);
  let rest = "";
  const toCsv = (lines: string) => {
    const rows = JSON.parse(`[${lines.replaceAll("\n", ",")}]`) as Record<string, unknown>[];
    let out = "";
    for (const row of rows) {
      let line = "";
      for (let i = 0; i < names.length; i++) line += (i === 0 ? "" : ",") + csvField(row[names[i] as string]);
      out += line + "\r\n";
    }
    return out;
  };
  return {
    start: (out) => out.text(columns.map((c) => csvField(c.label)).join(",") + "\r\n"),
    chunk(chunk, out) {
      const text = rest + decoder.decode(chunk, { stream: true });
      let from = 0;
      // A few KB of lines at a time: their parsed rows die before the next batch is parsed, so
      // V8 never has to promote them (a whole 64 KB read at once would keep hundreds alive).
      for (;;) {
        let end = text.lastIndexOf("\n", from + CSV_BATCH_CHARS);
        // A line longer than a batch is taken whole, up to its own end.
        if (end < from) end = text.indexOf("\n", from + CSV_BATCH_CHARS);
        if (end === -1) break;
        if (end > from) out.text(toCsv(text.slice(from, end)));
        from = end + 1;
      }
      rest = text.slice(from);
    },
    end(out) {
      const text = (rest + decoder.decode()).trim();
      if (text.length > 0) out.text(toCsv(text));
    },
  };
}

/** The response body for a stored result in `format`. */
export function resultBody(
  stored: ReadableStream<Uint8Array>,
  columns: readonly Column[],
  format: ResultFormat,
): ReadableStream<Uint8Array> {
  const ndjson = stored.pipeThrough(new DecompressionStream("gzip"));
  if (format === "ndjson") return ndjson;
  const step =
    format === "csv"
      ? csv(columns)
      : jsonArray(`{"message":{"columns":${JSON.stringify(publicColumns(columns))},"result":[\n`, "\n]}}\n");
  return pulled(ndjson, step);
}
