// Managing remote targets: define (create or replace), rotate the signing secret, delete, test the
// connection, and the JSON a target is shown as — which never holds a secret.
import { getDb } from "../db/client";
import { methodsOfTarget } from "../db/methods";
import { methodSummary } from "../live/fan-out";
import { deleteTarget, getTarget, insertTarget, markTarget, replaceSigning, updateTarget } from "../db/remote-targets";
import type { RemoteTargetRow } from "../db/schema";
import { config } from "../shared/config";
import { conflict, invalid, notFound } from "../shared/errors";
import { fromJson, toJson } from "../shared/json";
import type { User } from "../shared/user";
import { readCappedText } from "./body";
import { signedHeaders } from "./call";
import { redactorFor, type Redactor } from "./redact";
import { parseFrappeResponse } from "./frappe-response";
import { isTargetName } from "../shared/method-names";
import { idRule } from "../shared/names";
import { errorTextFromBody } from "./plain-text";
import { newSigningSecret, signingSecretProblem } from "./signing";
import { checkedBaseUrl, checkedCredentials, checkedPatterns, type TargetSpec } from "./target-spec";
import { callUrl, isRedirect } from "./url-policy";
import { openSigning, sealCredentials, sealSigning, type SigningSecret } from "./vault";

const ISO = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A target as the API shows it: its definition and health, never a secret. */
export async function targetJson(env: Env, row: RemoteTargetRow, now = Date.now()) {
  const signing = await openSigning(env, row);
  const previous = signing.filter((s) => s.until !== null && s.until > now);
  return {
    name: row.name,
    kind: row.kind,
    base_url: row.baseUrl,
    has_credentials: row.credentials !== null,
    allowed_methods: fromJson(row.allowedMethods),
    methods: fromJson(row.allowedMethods).map((pattern) => `${row.name}:${pattern}`),
    roles: fromJson(row.roles),
    timeout: row.timeoutS,
    max_response_bytes: row.maxResponseBytes,
    signing_secret_set_at: ISO(row.signingSecretSetAt),
    previous_signing_secret_until: ISO(Math.max(...previous.map((s) => s.until ?? 0), 0) || null),
    auth_failed: row.authFailed,
    last_error: row.lastError,
    last_error_at: ISO(row.lastErrorAt),
    last_ok_at: ISO(row.lastOkAt),
    created_by: row.createdBy,
    created_at: ISO(row.createdAt),
    updated_at: ISO(row.updatedAt),
  };
}

/** The target, or a 404. */
export async function visibleTarget(env: Env, name: string): Promise<RemoteTargetRow> {
  const row = isTargetName(name) ? await getTarget(getDb(env), name) : null;
  if (!row) throw notFound(`remote target ${name}`);
  return row;
}

/**
 * Creates the target, or replaces its definition (credentials kept unless given or the kind
 * changes). A new target gets a signing secret — generated and returned this once, unless the
 * caller brought one.
 */
export async function defineTarget(
  env: Env,
  user: User,
  name: string,
  spec: TargetSpec,
  now = Date.now(),
): Promise<{ row: RemoteTargetRow; created: boolean; signingSecret: string | null }> {
  if (!isTargetName(name)) throw invalid("invalid_name", `a target name is ${idRule("target")}, and not 'report'`);
  const cfg = config(env);
  const db = getDb(env);
  const definition = {
    kind: spec.kind,
    baseUrl: checkedBaseUrl(spec.base_url, cfg.remoteAllowInsecureLocal),
    allowedMethods: toJson(checkedPatterns(spec.kind, spec.allowed_methods)),
    roles: toJson(spec.roles ?? []),
    timeoutS: spec.timeout ?? null,
    maxResponseBytes: spec.max_response_bytes ?? 1_048_576,
    updatedAt: now,
  };
  const credentials =
    spec.credentials === undefined || spec.credentials === null
      ? spec.credentials
      : await sealCredentials(env, name, checkedCredentials(spec.kind, spec.credentials));

  const existing = await getTarget(db, name);
  if (existing) {
    if (spec.signing_secret !== undefined) {
      throw invalid(
        "signing_secret_on_replace",
        "signing_secret is only taken at creation; rotate it with POST …/rotate-signing-secret",
      );
    }
    if (existing.kind !== spec.kind && credentials === undefined && existing.credentials !== null) {
      throw invalid("credentials_required", `changing the kind to ${spec.kind} needs new credentials (or null)`);
    }
    const row = await updateTarget(db, name, { ...definition, ...(credentials === undefined ? {} : { credentials }) });
    if (!row) throw notFound(`remote target ${name}`);
    return { row, created: false, signingSecret: null };
  }

  if (spec.signing_secret !== undefined) {
    const problem = signingSecretProblem(spec.signing_secret);
    if (problem !== null) throw invalid("invalid_signing_secret", `signing_secret: ${problem}`);
  }
  const secret = spec.signing_secret ?? newSigningSecret();
  const row = await insertTarget(db, {
    name,
    ...definition,
    credentials: credentials ?? null,
    signingSecrets: await sealSigning(env, name, [{ secret, until: null }]),
    signingSecretSetAt: now,
    createdBy: user.name,
    createdAt: now,
  });
  if (!row) throw conflict(`remote target ${name} was created meanwhile; send the PUT again to replace it`);
  return { row, created: true, signingSecret: spec.signing_secret === undefined ? secret : null };
}

/**
 * A new current signing secret; the previous one keeps signing (calls carry both signatures) for
 * `graceMs`, so the remote can switch without a window of refused calls.
 */
export async function rotateSigningSecret(
  env: Env,
  name: string,
  options: { secret?: string; graceMs?: number },
  now = Date.now(),
): Promise<{ row: RemoteTargetRow; signingSecret: string | null; previousUntil: number }> {
  if (options.secret !== undefined) {
    const problem = signingSecretProblem(options.secret);
    if (problem !== null) throw invalid("invalid_signing_secret", `signing_secret: ${problem}`);
  }
  const db = getDb(env);
  const row = await visibleTarget(env, name);
  const until = now + (options.graceMs ?? config(env).remoteRotationGraceMs);
  const kept: SigningSecret[] = (await openSigning(env, row))
    .map((s) => (s.until === null ? { ...s, until } : s))
    .filter((s) => s.until !== null && s.until > now)
    .slice(0, 2);
  const secret = options.secret ?? newSigningSecret();
  const sealed = await sealSigning(env, name, [{ secret, until: null }, ...kept]);
  if (!(await replaceSigning(db, name, row.signingSecretSetAt, sealed, now))) {
    throw conflict(`the signing secret of ${name} was changed meanwhile; read the target and rotate again`);
  }
  return {
    row: await visibleTarget(env, name),
    signingSecret: options.secret === undefined ? secret : null,
    previousUntil: until,
  };
}

/** Deletes the target; refused while live tasks run its methods, unless `force` (they then fail). */
export async function removeTarget(env: Env, name: string, force: boolean): Promise<void> {
  const db = getDb(env);
  await visibleTarget(env, name);
  if (!force) {
    const live = await liveTasksOfTarget(env, name);
    if (live > 0) {
      throw conflict(
        `${live} live task(s) run methods of ${name}; cancel them first, or delete with ?force=true (they then fail)`,
        { live_tasks: live },
        "target_in_use",
      );
    }
  }
  if (!(await deleteTarget(db, name))) throw notFound(`remote target ${name}`);
}

/** What a connectivity test found. */
export interface TestResult {
  ok: boolean;
  status: number | null;
  /** Frappe targets: the user our credentials log in as. */
  user: string | null;
  message: string;
}

const TEST_TIMEOUT_MS = 10_000;

/**
 * A cheap signed call that checks the target is reachable and accepts our credentials: Frappe's
 * `frappe.auth.get_logged_user`; for http targets a POST of `{"test": true}` to the base URL. The
 * target's health (auth_failed, last error, last success) is updated like after a real call.
 */
export async function testTarget(env: Env, name: string, now = Date.now()): Promise<TestResult> {
  const row = await visibleTarget(env, name);
  const cfg = config(env);
  const url =
    row.kind === "frappe"
      ? callUrl(row.baseUrl, "frappe", "frappe.auth.get_logged_user", {
          allowInsecureLocal: cfg.remoteAllowInsecureLocal,
        })
      : checkedUrl(row.baseUrl, cfg.remoteAllowInsecureLocal);
  if (!url.ok) return { ok: false, status: null, user: null, message: url.reason };
  const text = row.kind === "frappe" ? "{}" : JSON.stringify({ test: true });
  const { headers, credentials } = await signedHeaders(env, row, `test_${crypto.randomUUID()}`, text, now);
  const redact = redactorFor(credentials);
  let response: Response;
  try {
    response = await fetch(url.url, {
      method: "POST",
      headers,
      body: text,
      redirect: "manual",
      signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
    });
  } catch {
    const message = "no answer (network error or no answer within 10 s)";
    await markTarget(getDb(env), name, { ok: false, error: message, authFailed: false }, Date.now());
    return { ok: false, status: null, user: null, message };
  }
  const read = await readTest(row, response, redact);
  const result = {
    ...read,
    message: redact.text(read.message),
    user: read.user === null ? null : redact.text(read.user),
  };
  await markTarget(
    getDb(env),
    name,
    result.ok
      ? { ok: true }
      : { ok: false, error: result.message, authFailed: result.status === 401 || result.status === 403 },
    Date.now(),
  );
  return result;
}

function checkedUrl(base: string, allowInsecureLocal: boolean) {
  try {
    return { ok: true as const, url: checkedBaseUrl(base, allowInsecureLocal) };
  } catch (error) {
    return { ok: false as const, reason: error instanceof Error ? error.message : "invalid base URL" };
  }
}

async function readTest(row: RemoteTargetRow, response: Response, redact: Redactor): Promise<TestResult> {
  const { status } = response;
  if (isRedirect(status)) {
    await response.body?.cancel();
    return { ok: false, status, user: null, message: `answered ${status} (a redirect); redirects are not followed` };
  }
  const text = redact.text((await readCappedText(response, 64 * 1024)).text);
  const type = response.headers.get("content-type");
  if (row.kind === "frappe") {
    const parsed = parseFrappeResponse(status, type, text);
    if (parsed.ok && status >= 200 && status < 300) {
      const user = typeof parsed.message === "string" ? parsed.message : null;
      if (user === "Guest") return { ok: false, status, user, message: "the credentials log in as Guest" };
      return { ok: true, status, user, message: `logged in as ${user ?? "an unknown user"}` };
    }
    return { ok: false, status, user: null, message: parsed.ok ? `answered ${status}` : parsed.readable };
  }
  if (status >= 200 && status < 300) return { ok: true, status, user: null, message: `answered ${status}` };
  return { ok: false, status, user: null, message: errorTextFromBody(status, type, text) };
}

/** How many live tasks (not yet ended) run methods of `target`, counted by their objects. */
async function liveTasksOfTarget(env: Env, target: string): Promise<number> {
  const methods = await methodsOfTarget(getDb(env), target);
  const summaries = await Promise.all(methods.map((m) => methodSummary(env, m)));
  return summaries.reduce((n, s) => n + Object.values(s.counts).reduce((a, b) => a + b, 0) + s.delayed, 0);
}
