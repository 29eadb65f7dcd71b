// The response side of a result download: one output buffer that a format writes into, and a
// stream that reads the stored result only when the response asks for more. Written for the
// isolate's heap (docs/benchmarks.md): no per-chunk arrays, no queues between transforms.

/** Response chunks are at least this big (DecompressionStream hands over ~4 KB at a time). */
export const MIN_CHUNK_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/** A growable byte buffer that a format writes its output into; `take()` hands a chunk over. */
export class Output {
  private buffer = new Uint8Array(2 * MIN_CHUNK_BYTES);
  size = 0;

  /** Makes room for `n` more bytes and returns the buffer to write them at `size`. */
  reserve(n: number): Uint8Array {
    if (this.size + n > this.buffer.length) {
      const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.size + n));
      bigger.set(this.buffer.subarray(0, this.size));
      this.buffer = bigger;
    }
    return this.buffer;
  }

  bytes(source: Uint8Array): void {
    this.reserve(source.byteLength).set(source, this.size);
    this.size += source.byteLength;
  }

  /** Writes `text` as UTF-8 (at most 3 bytes per UTF-16 unit). */
  text(text: string): void {
    const buffer = this.reserve(text.length * 3);
    this.size += encoder.encodeInto(text, buffer.subarray(this.size)).written;
  }

  /** The bytes written so far, as one new chunk; the buffer is reused. */
  take(): Uint8Array {
    const chunk = this.buffer.slice(0, this.size);
    this.size = 0;
    return chunk;
  }
}

/**
 * A format as a synchronous step over the stored NDJSON bytes: what it writes first, what each
 * chunk of NDJSON becomes, and what it writes last.
 */
export interface FormatStep {
  start(out: Output): void;
  chunk(bytes: Uint8Array, out: Output): void;
  end(out: Output): void;
}

/** How the source is read: whole 64 KB blocks when it is a byte stream (DecompressionStream's is). */
interface SourceReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * A reader of `source` that hands over at least MIN_CHUNK_BYTES per read where the runtime allows
 * it (a BYOB reader's `readAtLeast` on a byte stream, into one buffer that every read reuses), else
 * chunks as they come: 16 times fewer reads — and promises — for a decompressed result.
 */
function blockReader(source: ReadableStream<Uint8Array>): SourceReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    return source.getReader();
  }
  let view = new Uint8Array(MIN_CHUNK_BYTES);
  let ended = false;
  return {
    async read() {
      if (ended) return { done: true, value: undefined };
      const { done, value } = await byob.readAtLeast(MIN_CHUNK_BYTES, view);
      ended = done;
      if (value === undefined || value.byteLength === 0) return { done: true, value: undefined };
      view = new Uint8Array(value.buffer);
      return { done: false, value };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}

/**
 * `source` run through `step`, as a stream that reads only when its reader asks: each pull reads
 * until MIN_CHUNK_BYTES of output are written (or the source ends) and enqueues them as one chunk.
 * Nothing is read ahead of the response and nothing waits in between.
 */
export function pulled(source: ReadableStream<Uint8Array>, step: FormatStep): ReadableStream<Uint8Array> {
  const reader = blockReader(source);
  const out = new Output();
  step.start(out);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        while (out.size < MIN_CHUNK_BYTES) {
          const { done, value } = await reader.read();
          if (done) {
            step.end(out);
            if (out.size > 0) controller.enqueue(out.take());
            controller.close();
            return;
          }
          // A BYOB read's bytes live in the reused buffer: the step copies what it keeps.
          step.chunk(value, out);
        }
        controller.enqueue(out.take());
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
