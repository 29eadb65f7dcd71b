import { describe, expect, it, vi } from "vitest";
import { readCapped, readCappedText } from "../src/remote/body";

/** An endless body of `chunkSize`-byte chunks that records how often it was pulled and whether it was cancelled. */
function endlessBody(chunkSize: number) {
  const state = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulls += 1;
        controller.enqueue(new Uint8Array(chunkSize).fill(0x61));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { response: new Response(stream), state };
}

function chunked(...chunks: Uint8Array[]): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    }),
  );
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("readCapped", () => {
  it("returns a body within the cap whole", async () => {
    const result = await readCapped(new Response("hello"), 5);
    expect(text(result.bytes)).toBe("hello");
    expect(result.truncated).toBe(false);
  });

  it("returns an empty result for a response without a body", async () => {
    expect(await readCapped(new Response(null, { status: 204 }), 10)).toEqual({
      bytes: new Uint8Array(0),
      truncated: false,
    });
  });

  it("keeps exactly the first maxBytes of a longer body, split inside a chunk, and marks it truncated", async () => {
    const enc = new TextEncoder();
    const result = await readCapped(chunked(enc.encode("abc"), enc.encode("defgh"), enc.encode("ij")), 5);
    expect(text(result.bytes)).toBe("abcde");
    expect(result.truncated).toBe(true);
  });

  it("stops an endless body at the cap and cancels it after reading about cap / chunk chunks", async () => {
    const { response, state } = endlessBody(1024);
    const result = await readCapped(response, 10_000);
    expect(result).toMatchObject({ truncated: true });
    expect(result.bytes.byteLength).toBe(10_000);
    await vi.waitUntil(() => state.cancelled);
    // 10 chunks cross the cap; a little read-ahead by the runtime is tolerated, an unbounded read is not.
    expect(state.pulls).toBeLessThanOrEqual(13);
  });

  it("rejects when the body fails mid-way (a network error for the caller to retry)", async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
        controller.error(new Error("connection reset"));
      },
    });
    await expect(readCapped(new Response(failing), 100)).rejects.toThrow("connection reset");
  });

  it("refuses a negative or fractional cap", async () => {
    await expect(readCapped(new Response("x"), -1)).rejects.toThrow(RangeError);
    await expect(readCapped(new Response("x"), 1.5)).rejects.toThrow(RangeError);
  });
});

describe("readCappedText", () => {
  it("decodes UTF-8 and drops a character the cap cut in half", async () => {
    expect(await readCappedText(new Response("héllo"), 2)).toEqual({ text: "h", truncated: true });
    expect(await readCappedText(new Response("ab😀"), 5)).toEqual({ text: "ab", truncated: true });
    expect(await readCappedText(new Response("ab😀c"), 6)).toEqual({ text: "ab😀", truncated: true });
    expect(await readCappedText(new Response("héllo"), 6)).toEqual({ text: "héllo", truncated: false });
  });
});
