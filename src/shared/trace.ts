// W3C trace context (https://www.w3.org/TR/trace-context/): parsing and checking a `traceparent`
// and its `tracestate`, making one when a request brings none, and the span id of a task attempt.

/** A task's trace: the `traceparent` its enqueue carried (or was given) and the vendor `tracestate`. */
export interface TraceContext {
  traceparent: string;
  tracestate: string | null;
}

/** The parts of a valid traceparent. */
export interface TraceParts {
  version: string;
  traceId: string;
  parentId: string;
  flags: string;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);
/** W3C: a tracestate of at most 32 list members, each `key=value`. */
const TRACESTATE_MEMBERS_MAX = 32;
const TRACESTATE_BYTES_MAX = 512;
const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The parts of `header`, or a reason it is not a traceparent. Version 00 must be exactly
 * `00-<32 hex>-<16 hex>-<2 hex>`; a later version may append `-…` (the spec's forward rule);
 * version ff, all-zero ids and upper-case hex are invalid.
 */
export function parseTraceparent(header: string): TraceParts | { error: string } {
  const value = header.trim();
  const [version = "", traceId = "", parentId = "", flags = "", ...rest] = value.split("-");
  if (version.length !== 2 || !HEX.test(version) || version === "ff")
    return { error: "version must be 2 lower-case hex digits, not ff" };
  if (version === "00" && (rest.length > 0 || value.length !== 55)) {
    return { error: "version 00 is exactly 00-<trace-id>-<parent-id>-<flags>" };
  }
  if (traceId.length !== 32 || !HEX.test(traceId) || traceId === ZERO_TRACE) {
    return { error: "trace-id must be 32 lower-case hex digits, not all zero" };
  }
  if (parentId.length !== 16 || !HEX.test(parentId) || parentId === ZERO_SPAN) {
    return { error: "parent-id must be 16 lower-case hex digits, not all zero" };
  }
  if (flags.length !== 2 || !HEX.test(flags)) return { error: "trace-flags must be 2 lower-case hex digits" };
  return { version, traceId, parentId, flags };
}

/** Null when `header` is a valid tracestate (W3C list of `key=value`), else why not. */
export function tracestateError(header: string): string | null {
  if (header.length > TRACESTATE_BYTES_MAX) return `longer than ${TRACESTATE_BYTES_MAX} characters`;
  const members = header
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  if (members.length > TRACESTATE_MEMBERS_MAX) return `more than ${TRACESTATE_MEMBERS_MAX} list members`;
  const keys = new Set<string>();
  for (const member of members) {
    const eq = member.indexOf("=");
    const key = member.slice(0, eq);
    if (eq <= 0 || !TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(member.slice(eq + 1))) {
      return `member "${member.slice(0, 40)}" is not key=value`;
    }
    if (keys.has(key)) return `key "${key}" appears twice`;
    keys.add(key);
  }
  return null;
}

function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return [...buffer].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new trace (no caller gave one): random ids, not sampled (flags 00). */
export function newTrace(): TraceContext {
  return { traceparent: `00-${randomHex(16)}-${randomHex(8)}-00`, tracestate: null };
}

/**
 * The span id of one attempt of a task in its trace: the same wherever it is computed (the
 * consumer's log lines and remote call, the object's lease expiry), so nothing stores it.
 * FNV-1a (64 bit) of trace id, task and attempt — an id, not a secret.
 */
export function attemptSpanId(traceId: string, task: string, attempt: number): string {
  let hash = 0xcbf29ce484222325n;
  for (const ch of `${traceId}/${task}/${attempt}`) {
    hash ^= BigInt(ch.charCodeAt(0));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  const hex = hash.toString(16).padStart(16, "0");
  return hex === ZERO_SPAN ? "0000000000000001" : hex;
}

/** The trace of one attempt: its traceparent (the attempt as parent), its ids, its tracestate. */
export interface AttemptSpan {
  traceparent: string;
  tracestate: string | null;
  traceId: string;
  spanId: string;
  /** The span the attempt descends from (the enqueue's caller, or the one made at enqueue). */
  parentId: string;
  sampled: boolean;
}

/** The attempt's trace from the task's stored context (null for a task from before traces). */
export function attemptSpan(task: {
  name: string;
  attempt: number;
  traceparent: string | null;
  tracestate: string | null;
}): AttemptSpan | null {
  if (task.traceparent === null) return null;
  const parts = parseTraceparent(task.traceparent);
  if ("error" in parts) return null;
  const spanId = attemptSpanId(parts.traceId, task.name, task.attempt);
  return {
    traceparent: `00-${parts.traceId}-${spanId}-${parts.flags}`,
    tracestate: task.tracestate,
    traceId: parts.traceId,
    spanId,
    parentId: parts.parentId,
    sampled: (parseInt(parts.flags, 16) & 1) === 1,
  };
}

/** The fields every log line of an attempt carries. */
export function traceFields(trace: AttemptSpan): Record<string, string> {
  return { trace_id: trace.traceId, span_id: trace.spanId, traceparent: trace.traceparent };
}
