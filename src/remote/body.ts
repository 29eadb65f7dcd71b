// Reads a remote answer's body up to a byte cap, cancelling the stream as soon as the cap is passed.

/** The bytes read (at most the cap) and whether the body went on beyond them. */
export interface CappedBody {
  bytes: Uint8Array;
  truncated: boolean;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads `response`'s body, keeping at most `maxBytes`. When the body is longer, the first
 * `maxBytes` are returned with `truncated: true` and the stream is cancelled at once, so no more
 * than the cap plus the chunk that crossed it is ever held, whatever the sender streams. A body
 * that errors mid-way rejects (a network failure, for the caller to retry). Consumes the body.
 */
export async function readCapped(response: Response, maxBytes: number): Promise<CappedBody> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError("maxBytes must be a non-negative integer");
  if (response.body === null) return { bytes: new Uint8Array(0), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const result = await reader.read();
      if (result.done) return { bytes: concat(chunks, size), truncated: false };
      const chunk: unknown = result.value;
      if (!(chunk instanceof Uint8Array)) throw new TypeError("response body chunk is not bytes");
      if (size + chunk.byteLength > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        await reader.cancel(`body exceeds ${maxBytes} bytes`).catch(() => undefined);
        return { bytes: concat(chunks, maxBytes), truncated: true };
      }
      chunks.push(chunk);
      size += chunk.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
}

/** `bytes` without a UTF-8 sequence cut off at its end (a cap can fall inside a character). */
function withoutPartialCharacter(bytes: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
}

/** Like `readCapped`, decoded as UTF-8 (invalid bytes become U+FFFD; a character cut by the cap is dropped). */
export async function readCappedText(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const { bytes, truncated } = await readCapped(response, maxBytes);
  const complete = truncated ? withoutPartialCharacter(bytes) : bytes;
  return { text: new TextDecoder().decode(complete), truncated };
}
