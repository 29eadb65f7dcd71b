// Turns a stored result (gzip NDJSON in R2) into the response formats by streaming: Frappe's
// {"message": {"columns", "result"}} JSON, CSV, or NDJSON. Nothing is read before the client asks for
// it, and nothing is buffered beyond one response chunk.
import type { Column } from "../shared/report-column";

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
 * A format as a synchronous step over the stored NDJSON bytes: what to send first, what each chunk
 * of NDJSON becomes, and what to send last. Steps run inside one pull-driven stream (`pulled`).
 */
export interface FormatStep {
  start(): Uint8Array;
  chunk(bytes: Uint8Array): Uint8Array;
  end(): Uint8Array;
}

/**
 * Joins NDJSON lines into the body of a JSON array wrapped in `prefix`/`suffix`, on bytes (no
 * decoding): every line ends with "\n" and JSON never holds a raw newline, so each newline but the
 * last becomes ",\n". A newline that ends a chunk is held until more data shows it was not the last.
 */
export function jsonArray(prefix: string, suffix: string): FormatStep {
  const encoder = new TextEncoder();
  let held = false;
  return {
    start: () => encoder.encode(prefix),
    chunk(chunk) {
      let newlines = 0;
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) newlines++;
      const out = new Uint8Array(chunk.byteLength + newlines + 2);
      let pos = 0;
      if (held && chunk.byteLength > 0) {
        out[pos++] = COMMA;
        out[pos++] = NEWLINE;
        held = false;
      }
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        out.set(chunk.subarray(start, nl), pos);
        pos += nl - start;
        start = nl + 1;
        if (start === chunk.byteLength) {
          held = true;
          break;
        }
        out[pos++] = COMMA;
        out[pos++] = NEWLINE;
      }
      out.set(chunk.subarray(start), pos);
      pos += chunk.byteLength - start;
      return out.subarray(0, pos);
    },
    end: () => encoder.encode(suffix),
  };
}

/**
 * Response chunks are at least this big: DecompressionStream emits ~4 KB chunks, and passing each
 * through the response separately costs more than copying them together.
 */
const MIN_CHUNK_BYTES = 64 * 1024;

/** The bytes of `parts` as one array. */
function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.byteLength;
  }
  return out;
}

/**
 * `source` run through `step`, as a stream that reads only when its reader asks: each pull reads
 * source chunks until it has MIN_CHUNK_BYTES of output (or the source ends) and enqueues them as one
 * chunk. Nothing waits in between — no transform queues, no chunk read ahead of the network — so
 * the isolate's heap stays flat however large the result (docs/benchmarks.md measures it).
 */
export function pulled(source: ReadableStream<Uint8Array>, step: FormatStep): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let first: Uint8Array | null = step.start();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const parts: Uint8Array[] = first === null ? [] : [first];
        let size = first?.byteLength ?? 0;
        first = null;
        while (size < MIN_CHUNK_BYTES) {
          const { done, value } = await reader.read();
          const out = done ? step.end() : step.chunk(value);
          if (out.byteLength > 0) {
            parts.push(out);
            size += out.byteLength;
          }
          if (done) {
            if (size > 0) controller.enqueue(concat(parts, size));
            controller.close();
            return;
          }
        }
        controller.enqueue(concat(parts, size));
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** One CSV field (RFC 4180): quoted when it holds a separator, quote, line break or edge space. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const text =
    typeof value === "string"
      ? value
      : typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : JSON.stringify(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** NDJSON rows → CSV with a header of column labels. Each chunk's whole lines are parsed at once. */
function csv(columns: readonly Column[]): FormatStep {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
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
    start: () => encoder.encode(columns.map((c) => csvField(c.label)).join(",") + "\r\n"),
    chunk(chunk) {
      const text = rest + decoder.decode(chunk, { stream: true });
      const end = text.lastIndexOf("\n");
      if (end === -1) {
        rest = text;
        return new Uint8Array(0);
      }
      rest = text.slice(end + 1);
      return end > 0 ? encoder.encode(toCsv(text.slice(0, end))) : new Uint8Array(0);
    },
    end() {
      const text = (rest + decoder.decode()).trim();
      return text.length > 0 ? encoder.encode(toCsv(text)) : new Uint8Array(0);
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
