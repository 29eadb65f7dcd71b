// Test/demo aid: what the site received (GET /__calls?task=T) and the callbacks it made, kept in memory.
//
// Memory is enough: workerd runs this Worker in one isolate locally and under the vitest pool, and
// task names are unique, so tests never see each other's entries. The log is bounded so a long
// `npm start` session does not grow without end.

import { parseTraceparent } from "../../src/shared/trace";

/** One callback the site made to Switchyard, and how Switchyard answered. */
export interface CallbackRecord {
  kind: "progress" | "complete" | "fail";
  body: unknown;
  /** The W3C traceparent the callback carried: the call's trace, with a span of this site as parent. */
  traceparent: string | null;
  /** Switchyard's status, or null when the request itself failed (`error` says why). */
  status: number | null;
  error?: string;
}

/** One request to /api/method/…, as received. */
export interface CallRecord {
  at: string;
  http_method: string;
  /** The dotted method (`cmd`), e.g. "myapp.api.sync_customer" or "run_doc_method". */
  method: string;
  task: string | null;
  attempt: string | null;
  /** Every request header, lower-cased; the API secret in `authorization` is masked. */
  headers: Record<string, string>;
  /** The body exactly as received (what the signature covers). */
  body: string;
  signature: "valid" | "invalid" | "unchecked";
  /**
   * The W3C trace context the call carried, checked as a traced Frappe site would: `valid` false
   * when a traceparent came malformed, `trace_id` its trace (null without one).
   */
  trace: { traceparent: string | null; tracestate: string | null; valid: boolean; trace_id: string | null };
  /** The status the site answered with. */
  status: number | null;
  callbacks: CallbackRecord[];
  /** For a 202: "running" while the site still works on it, "done" once it stopped reporting. */
  background: "running" | "done" | null;
}

export const MAX_CALLS = 500;

/** A traceparent in the same trace with a new span of this site as parent. */
function childTraceparent(parent: string): string | null {
  const parts = parseTraceparent(parent);
  if ("error" in parts) return null;
  const span = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `00-${parts.traceId}-${span}-${parts.flags}`;
}
const calls: CallRecord[] = [];

/** Records a request and returns its (mutable) record. */
export function recordCall(request: Request, method: string, body: string): CallRecord {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = name === "authorization" ? value.replace(/^(token\s+[^:]*:).*$/i, "$1***") : value;
  });
  const traceparent = request.headers.get("traceparent");
  const parsed = traceparent === null ? null : parseTraceparent(traceparent);
  const trace = {
    traceparent,
    tracestate: request.headers.get("tracestate"),
    valid: parsed !== null && !("error" in parsed),
    trace_id: parsed === null || "error" in parsed ? null : parsed.traceId,
  };
  const record: CallRecord = {
    at: new Date().toISOString(),
    http_method: request.method,
    method,
    task: request.headers.get("x-switchyard-task"),
    attempt: request.headers.get("x-switchyard-attempt"),
    headers,
    body,
    signature: "unchecked",
    trace,
    status: null,
    callbacks: [],
    background: null,
  };
  calls.push(record);
  if (calls.length > MAX_CALLS) calls.splice(0, calls.length - MAX_CALLS);
  return record;
}

/** GET /__calls[?task=T]: the recorded calls, oldest first. */
export function listCalls(url: URL): Response {
  const task = url.searchParams.get("task");
  const selected = task === null ? calls : calls.filter((c) => c.task === task);
  return Response.json({ calls: selected });
}

/** Where and how to report back: from X-Switchyard-Callback-URL and X-Switchyard-Callback-Token. */
export interface Callback {
  url: string;
  token: string;
}

/**
 * POSTs `<callback url>/<kind>` with the Bearer token and records the answer. Returns
 * Switchyard's status, or null when the request failed before an answer.
 */
export async function postCallback(
  record: CallRecord,
  callback: Callback,
  kind: CallbackRecord["kind"],
  body: unknown,
): Promise<number | null> {
  // The callback continues the call's trace, from a span of its own (as an OpenTelemetry-traced site would).
  const traceparent = record.trace.trace_id === null ? null : childTraceparent(record.trace.traceparent ?? "");
  const entry: CallbackRecord = { kind, body, traceparent, status: null };
  record.callbacks.push(entry);
  const headers: Record<string, string> = {
    authorization: `Bearer ${callback.token}`,
    "content-type": "application/json",
  };
  if (traceparent !== null) headers.traceparent = traceparent;
  if (traceparent !== null && record.trace.tracestate !== null) headers.tracestate = record.trace.tracestate;
  try {
    const response = await fetch(`${callback.url.replace(/\/+$/, "")}/${kind}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
    entry.status = response.status;
  } catch (e) {
    entry.error = e instanceof Error ? e.message : String(e);
  }
  return entry.status;
}
