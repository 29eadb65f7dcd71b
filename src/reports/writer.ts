// Streams a report's rows into R2 as gzip-compressed NDJSON — one JSON object per line, keys in
// column order — so every output format is a streaming transform of it. Memory stays flat: at most
// one upload part (5 MiB of compressed bytes, outside the JS heap) plus one 32 KB text chunk is held
// at a time.
import type { Column } from "../shared/report-column";
import type { Row } from "./define";

/** R2's minimum multipart part size; all parts but the last are exactly this long (R2 requires equal sizes). */
export const PART_BYTES = 5 * 1024 * 1024;
/**
 * Rows are handed to the compressor in chunks of about this many characters. Small on purpose: V8
 * puts a string over 128 KB (one is made when a chunk is encoded) straight into its old generation,
 * where it stays until a full collection — 256 KB chunks made a 1M-row job's heap climb to ~40 MB.
 */
const CHUNK_CHARS = 32 * 1024;
/** How much is written between two yields to the event loop (and progress reports, abort checks). */
const YIELD_CHARS = 256 * 1024;

/** How a write can be stopped and observed. */
export interface WriteOptions {
  signal: AbortSignal;
  /** Called after each chunk with the number of rows written so far. */
  onRows?: (count: number) => void;
}

/** What was stored. */
export interface WriteResult {
  rowCount: number;
  /** Compressed bytes stored. */
  bytes: number;
}

/** Frappe's text forms for a Date value, by column type. */
function dateText(value: Date, fieldtype: string): string {
  const iso = value.toISOString();
  return fieldtype === "Date" ? iso.slice(0, 10) : iso.slice(0, 19).replace("T", " ");
}

/** One row as a JSON object line (without the newline). Missing fields are null. */
export function rowLine(row: Row, columns: readonly Column[], keys: readonly string[]): string {
  let line = "{";
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as Column;
    const value = row[column.fieldname];
    let json: string;
    if (value === undefined || value === null) json = "null";
    else if (value instanceof Date) json = JSON.stringify(dateText(value, column.fieldtype));
    else if (typeof value === "boolean" && column.fieldtype === "Check") json = value ? "1" : "0";
    else json = JSON.stringify(value) ?? "null";
    line += (i === 0 ? "" : ",") + (keys[i] as string) + json;
  }
  return line + "}";
}

/** Lets timers (cancel polling, timeout) run between chunks of synchronous row generation. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Writes `rows` to `key`. Throws the signal's reason as soon as it aborts (then nothing is stored:
 * a started multipart upload is aborted), and whatever the rows iterator throws.
 */
export async function writeRows(
  bucket: R2Bucket,
  key: string,
  columns: readonly Column[],
  rows: AsyncIterable<Row> | Iterable<Row>,
  options: WriteOptions,
): Promise<WriteResult> {
  const { signal } = options;
  const keys = columns.map((c) => `${JSON.stringify(c.fieldname)}:`);
  const gzip = new CompressionStream("gzip");
  const writer = gzip.writable.getWriter();
  const upload = uploadStream(bucket, key, gzip.readable);
  // Awaited below; this keeps an early upload failure from being reported as unhandled meanwhile.
  upload.catch(() => {});
  const encoder = new TextEncoder();
  let rowCount = 0;
  try {
    signal.throwIfAborted();
    let buffer = "";
    let sinceYield = 0;
    for await (const row of rows) {
      buffer += rowLine(row, columns, keys) + "\n";
      rowCount++;
      if (buffer.length >= CHUNK_CHARS) {
        await writer.write(encoder.encode(buffer));
        sinceYield += buffer.length;
        buffer = "";
        if (sinceYield >= YIELD_CHARS) {
          sinceYield = 0;
          options.onRows?.(rowCount);
          await yieldToEventLoop();
          signal.throwIfAborted();
        }
      }
    }
    if (buffer.length > 0) await writer.write(encoder.encode(buffer));
    signal.throwIfAborted();
    await writer.close();
    const bytes = await upload;
    options.onRows?.(rowCount);
    return { rowCount, bytes };
  } catch (error) {
    await writer.abort(error).catch(() => {});
    await upload.catch(() => {});
    throw error;
  }
}

/** Removes and returns the first `n` bytes queued in `chunks` (n ≤ what is queued). */
function take(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const head = chunks[0] as Uint8Array;
    const want = n - filled;
    if (head.byteLength <= want) {
      out.set(head, filled);
      filled += head.byteLength;
      chunks.shift();
    } else {
      out.set(head.subarray(0, want), filled);
      chunks[0] = head.subarray(want);
      filled = n;
    }
  }
  return out;
}

/**
 * Reads `stream` in parts of exactly PART_BYTES (the last one shorter, possibly empty): with a
 * BYOB reader's `readAtLeast` where the stream is a byte stream (CompressionStream's is) — one read
 * per part, into a fresh part-sized buffer — else by queueing chunks until a part is full.
 */
function partReader(stream: ReadableStream<Uint8Array>): {
  next(): Promise<{ part: Uint8Array; last: boolean }>;
  cancel(reason: unknown): Promise<void>;
} {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // not a byte stream: queue below
  }
  if (byob !== null) {
    const reader = byob;
    return {
      async next() {
        const { done, value } = await reader.readAtLeast(PART_BYTES, new Uint8Array(PART_BYTES));
        const part = value ?? new Uint8Array(0);
        return { part, last: done || part.byteLength < PART_BYTES };
      },
      cancel: (reason) => reader.cancel(reason),
    };
  }
  const reader = stream.getReader();
  const queued: Uint8Array[] = [];
  let queuedBytes = 0;
  return {
    async next() {
      while (queuedBytes < PART_BYTES) {
        const { done, value } = await reader.read();
        if (done) return { part: take(queued, queuedBytes), last: true };
        queued.push(value);
        queuedBytes += value.byteLength;
      }
      queuedBytes -= PART_BYTES;
      return { part: take(queued, PART_BYTES), last: false };
    },
    cancel: (reason) => reader.cancel(reason),
  };
}

/**
 * Stores a byte stream of unknown length: one put when it fits in one part, else a multipart
 * upload of equal PART_BYTES parts. Resolves with the byte count; aborts the upload on failure.
 */
async function uploadStream(bucket: R2Bucket, key: string, stream: ReadableStream<Uint8Array>): Promise<number> {
  const httpMetadata = { contentType: "application/x-ndjson" };
  const customMetadata = { encoding: "gzip" };
  const parts = partReader(stream);
  let total = 0;
  let multipart: R2MultipartUpload | null = null;
  const uploaded: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { part, last } = await parts.next();
      total += part.byteLength;
      if (last && multipart === null) {
        await bucket.put(key, part, { httpMetadata, customMetadata });
        return total;
      }
      multipart ??= await bucket.createMultipartUpload(key, { httpMetadata, customMetadata });
      if (part.byteLength > 0) uploaded.push(await multipart.uploadPart(uploaded.length + 1, part));
      if (last) {
        await multipart.complete(uploaded);
        return total;
      }
    }
  } catch (error) {
    await parts.cancel(error).catch(() => {});
    if (multipart !== null) await multipart.abort().catch(() => {});
    throw error;
  }
}
