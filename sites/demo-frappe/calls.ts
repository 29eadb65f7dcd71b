// Test/demo aid: what the site received (GET /__calls?task=T) and the callbacks it made, kept in memory.
//
// Memory is enough: workerd runs this Worker in one isolate locally and under the vitest pool, and
// task names are unique, so tests never see each other's entries. The log is bounded so a long
// `npm start` session does not grow without end.

/** One callback the site made to Switchyard, and how Switchyard answered. */
export interface CallbackRecord {
  kind: "progress" | "complete" | "fail";
  body: unknown;
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
  /** The status the site answered with. */
  status: number | null;
  callbacks: CallbackRecord[];
  /** For a 202: "running" while the site still works on it, "done" once it stopped reporting. */
  background: "running" | "done" | null;
}

export const MAX_CALLS = 500;
const calls: CallRecord[] = [];

/** Records a request and returns its (mutable) record. */
export function recordCall(request: Request, method: string, body: string): CallRecord {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = name === "authorization" ? value.replace(/^(token\s+[^:]*:).*$/i, "$1***") : value;
  });
  const record: CallRecord = {
    at: new Date().toISOString(),
    http_method: request.method,
    method,
    task: request.headers.get("x-switchyard-task"),
    attempt: request.headers.get("x-switchyard-attempt"),
    headers,
    body,
    signature: "unchecked",
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
  const entry: CallbackRecord = { kind, body, status: null };
  record.callbacks.push(entry);
  try {
    const response = await fetch(`${callback.url.replace(/\/+$/, "")}/${kind}`, {
      method: "POST",
      headers: { authorization: `Bearer ${callback.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
    entry.status = response.status;
  } catch (e) {
    entry.error = e instanceof Error ? e.message : String(e);
  }
  return entry.status;
}
