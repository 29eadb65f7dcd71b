// Ids: 26-character ULIDs (48-bit millisecond time + 80 random bits), monotonic within an isolate.
// A task's name is an id followed by its method's route code (db/routes.ts).

/** Length of an id; a task name is longer by its route code. */
export const ID_LENGTH = 26;
/** Shortest and longest route code (db/routes.ts lengthens a code only when a shorter one is taken). */
export const ROUTE_CODE_MIN = 5;
export const ROUTE_CODE_MAX = 12;
/**
 * A task name in text: an id and its route code, and `_<shard>` for a task of shard 1 or later of
 * a sharded method (shared/shards.ts) — or a bare id, as names were before route codes.
 */
export const TASK_NAME_PATTERN = `[0-9A-HJKMNP-TV-Z]{${ID_LENGTH}}(?:[0-9A-HJKMNP-TV-Z]{${ROUTE_CODE_MIN},${ROUTE_CODE_MAX}}(?:_[1-9][0-9]?)?)?`;

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32

let lastTime = -1;
let lastRandom: Uint8Array<ArrayBuffer> = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(t % 32) + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 characters, most significant first.
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET.charAt((buffer >> bits) & 31);
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

function increment(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const next = new Uint8Array(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] === 255) {
      next[i] = 0;
    } else {
      next[i] = (next[i] ?? 0) + 1;
      return next;
    }
  }
  return crypto.getRandomValues(new Uint8Array(10));
}

/**
 * A new unguessable, time-sortable id. Ids made in the same millisecond by the same isolate sort
 * in creation order (the random part is incremented), which keeps batch order and name order equal.
 */
export function newId(now = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = crypto.getRandomValues(new Uint8Array(10));
  }
  return encodeTime(Math.max(now, lastTime)) + encodeRandom(lastRandom);
}

/** The smallest id that could have been made at `ms` (for range scans by creation time). */
export function idFloor(ms: number): string {
  return encodeTime(ms) + "0".repeat(16);
}
