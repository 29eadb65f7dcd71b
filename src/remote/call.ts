// Calling a remote target for one task attempt: Frappe's /api/method contract (or run_doc_method for
// document actions) or a JSON POST for http targets, signed with Standard Webhooks and carrying the
// attempt's callback token; the answer classified into the attempt's outcome.
import { getDb } from "../db/client";
import { getTarget, markTarget } from "../db/remote-targets";
import type { RemoteTargetRow } from "../db/schema";
import type { TaskRecord } from "../live/store";
import { config } from "../shared/config";
import { fromJson, toJson, type Json } from "../shared/json";
import { errorTextFromBody } from "./plain-text";
import { readCappedText } from "./body";
import { callbackToken } from "./callback-token";
import { parseFrappeResponse } from "./frappe-response";
import { splitRemote } from "../shared/method-names";
import type { AttemptSpan } from "../shared/trace";
import { allowed } from "./methods";
import { retryAfterMs } from "./retry-after";
import { redactorFor, type Redactor } from "./redact";
import { openSecrets, type Credentials } from "./vault";
import { signHeaders } from "./signing";
import { callUrl, describeRedirect, isRedirect } from "./url-policy";

/** How a remote call ended the attempt — or that the remote accepted it and will call back. */
export type RemoteOutcome =
  | { kind: "finished"; result: Json<unknown> | null }
  | { kind: "failed"; error: string; permanent: boolean; minDelayMs?: number }
  | { kind: "accepted" };

const RESULT_MAX_BYTES = 64 * 1024;

const failed = (error: string, permanent: boolean, minDelayMs?: number): RemoteOutcome => ({
  kind: "failed",
  error,
  permanent,
  ...(minDelayMs === undefined ? {} : { minDelayMs }),
});

/** What to call for this task: the URL and the JSON body. */
function request(row: RemoteTargetRow, task: TaskRecord, path: string, allowLocal: boolean) {
  const args = fromJson(task.arguments);
  if (task.documentType !== null && task.documentAction !== null) {
    const doctype = splitRemote(task.documentType)?.path ?? "";
    const url = callUrl(row.baseUrl, "frappe", "frappe.handler.run_doc_method", { allowInsecureLocal: allowLocal });
    const body = { dt: doctype, dn: task.documentName, method: task.documentAction, args: JSON.stringify(args) };
    return { url, body };
  }
  const url = callUrl(row.baseUrl, row.kind, path, { allowInsecureLocal: allowLocal });
  const body =
    row.kind === "frappe" ? args : { task: task.name, attempt: task.attempt, method: task.method, arguments: args };
  return { url, body };
}

/** What the method's counters learn of a call: whether it was sent, and the status it got (null: no answer). */
export interface RemoteCallFacts {
  sent: boolean;
  status: number | null;
}

/**
 * Runs the task's attempt on its target. The signal (cancel, timeout) aborts the request; a
 * thrown abort is the signal's reason. Every outcome is also recorded on the target's health, and
 * `facts` (when given) says whether the call went out and what status came back. The call carries
 * the attempt's W3C trace context (`traceparent` with the attempt as parent, `tracestate`).
 */
export async function callRemote(
  env: Env,
  task: TaskRecord,
  signal: AbortSignal,
  span: AttemptSpan | null,
  facts: RemoteCallFacts = { sent: false, status: null },
): Promise<RemoteOutcome> {
  const remote = splitRemote(task.documentType ?? task.method);
  const db = getDb(env);
  const row = remote ? await getTarget(db, remote.target) : null;
  if (!remote || !row) return failed(`PermanentError: remote target of ${task.method} no longer exists`, true);
  const path = task.method.slice(row.name.length + 1);
  if (!allowed(path, fromJson(row.allowedMethods))) {
    return failed(`PermanentError: ${path} is no longer in the allow-list of target ${row.name}`, true);
  }
  const cfg = config(env);
  const now = Date.now();
  const { url, body } = request(row, task, path, cfg.remoteAllowInsecureLocal);
  if (!url.ok) return failed(`PermanentError: target ${row.name}: ${url.reason}`, true);
  const text = JSON.stringify(body);
  const { headers, credentials } = await signedHeaders(env, row, `${task.name}_${task.attempt}`, text, now);
  headers.set("x-switchyard-task", task.name);
  headers.set("x-switchyard-attempt", String(task.attempt));
  if (span !== null) {
    headers.set("traceparent", span.traceparent);
    if (span.tracestate !== null) headers.set("tracestate", span.tracestate);
  }
  const key = env.REMOTE_SECRETS_KEY;
  const token = key ? await callbackToken(key, task.name, task.attempt) : null;
  if (token !== null) headers.set("x-switchyard-callback-token", token);
  // Whatever the remote answers is kept and shown: none of what we sent it may come back in it.
  const redact = redactorFor(credentials, token);
  if (cfg.publicUrl !== null) headers.set("x-switchyard-callback-url", `${cfg.publicUrl}/api/v1/tasks/${task.name}`);

  const timeout = row.timeoutS === null ? signal : AbortSignal.any([signal, AbortSignal.timeout(row.timeoutS * 1000)]);
  let response: Response;
  facts.sent = true;
  try {
    response = await fetch(url.url, { method: "POST", headers, body: text, redirect: "manual", signal: timeout });
  } catch {
    // The request's own error can name the URL; only what kind of failure it was is kept.
    if (signal.aborted) throw signal.reason;
    const reason = timeout.aborted ? `no answer within the target's timeout (${row.timeoutS}s)` : "network error";
    await markTarget(db, row.name, { ok: false, error: reason, authFailed: false }, now);
    return failed(`RemoteError: ${row.name}: ${reason}`, false);
  }
  facts.status = response.status;
  const outcome = redacted(await classify(row, response, url.url, now, redact), redact);
  await markTarget(
    db,
    row.name,
    outcome.kind === "failed"
      ? {
          ok: false,
          error: outcome.error.split("\n", 1)[0] ?? outcome.error,
          authFailed: response.status === 401 || response.status === 403,
        }
      : { ok: true },
    now,
  );
  return outcome;
}

/** The outcome with the call's secrets redacted from its error or result (after any decoding). */
function redacted(outcome: RemoteOutcome, redact: Redactor): RemoteOutcome {
  if (outcome.kind === "failed") return { ...outcome, error: redact.text(outcome.error) };
  if (outcome.kind === "finished" && outcome.result !== null) {
    return { kind: "finished", result: toJson(redact.json(fromJson(outcome.result))) };
  }
  return outcome;
}

/**
 * The headers of any call to `row` — JSON both ways, the Standard Webhooks signature of `text`
 * under every signing secret still valid (rotation), and the target's credentials — and the
 * credentials themselves, for redacting the answer.
 */
export async function signedHeaders(
  env: Env,
  row: RemoteTargetRow,
  id: string,
  text: string,
  now: number,
): Promise<{ headers: Headers; credentials: Credentials | null }> {
  const secrets = await openSecrets(env, row, now);
  const headers = new Headers({
    "content-type": "application/json",
    accept: "application/json",
    ...(await signHeaders({ id, timestampS: Math.floor(now / 1000), body: text, secrets: secrets.signing })),
  });
  if (secrets.credentials?.api_key !== undefined) {
    headers.set("authorization", `token ${secrets.credentials.api_key}:${secrets.credentials.api_secret ?? ""}`);
  } else if (secrets.credentials?.token !== undefined) {
    headers.set("authorization", `Bearer ${secrets.credentials.token}`);
  }
  return { headers, credentials: secrets.credentials };
}

/** The outcome an answer means (see the table in docs/remote-methods.md). */
async function classify(
  row: RemoteTargetRow,
  response: Response,
  url: string,
  now: number,
  redact: Redactor,
): Promise<RemoteOutcome> {
  const { status } = response;
  if (isRedirect(status)) {
    await response.body?.cancel();
    return failed(
      `PermanentError: ${row.name} ${describeRedirect(response, url) ?? `answered ${status}`}; redirects are not followed`,
      true,
    );
  }
  if (status === 202) {
    await response.body?.cancel();
    return { kind: "accepted" };
  }
  const read = await readCappedText(response, row.maxResponseBytes);
  // Redacted before parsing too: a secret cut by a later clip would otherwise leave its start.
  const text = redact.text(read.text);
  const { truncated } = read;
  const type = response.headers.get("content-type");
  if (status >= 200 && status < 300) {
    if (truncated)
      return failed(`PermanentError: ${row.name}'s answer is larger than ${row.maxResponseBytes} bytes`, true);
    let result: unknown;
    if (row.kind === "frappe") {
      const parsed = parseFrappeResponse(status, type, text);
      if (!parsed.ok) return failed(`RemoteError: ${row.name} answered ${status}: ${parsed.readable}`, true);
      result = parsed.message ?? null;
    } else {
      result = text.trim() === "" ? null : safeJson(text);
    }
    const json = result === null ? null : toJson(result);
    if (json !== null && new TextEncoder().encode(json).length > RESULT_MAX_BYTES) {
      return failed(
        `PermanentError: ${row.name}'s result is larger than 64 KB; keep large outputs on the remote side`,
        true,
      );
    }
    return { kind: "finished", result: json };
  }
  const frappe = row.kind === "frappe" ? frappeError(status, type, text) : null;
  const readable = frappe?.text ?? errorTextFromBody(status, type, text);
  const error = `RemoteError: ${row.name} answered ${status}: ${readable}`;
  // A Python programming error (a missing argument, an unknown DocType) fails the same way again.
  if (frappe?.excType != null && PROGRAMMING_ERRORS.has(frappe.excType)) return failed(error, true);
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return failed(error, false, retryAfterMs(response.headers.get("retry-after"), now) ?? undefined);
  }
  return failed(error, true);
}

/**
 * Python exceptions that mean the code or the call is wrong, not that the site is struggling:
 * Frappe answers them 500, but a retry fails the same way.
 */
const PROGRAMMING_ERRORS = new Set([
  "TypeError",
  "AttributeError",
  "ImportError",
  "ModuleNotFoundError",
  "NameError",
  "SyntaxError",
  "KeyError",
]);

/** Frappe's error as one line (`ValidationError: Customer CUST-9 not found`) and its class. */
function frappeError(status: number, type: string | null, text: string): { text: string; excType: string | null } {
  const parsed = parseFrappeResponse(status, type, text);
  if (parsed.ok) return { text: `HTTP ${status}`, excType: null };
  const { excType, readable } = parsed;
  return { text: excType === null || readable.startsWith(excType) ? readable : `${excType}: ${readable}`, excType };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
