// Enqueueing one task: resolve the method, check the caller's roles and the arguments, build the
// Pending row, insert it (or find its dedupe twin), publish its event and wake its scheduler.
import type { NewTaskRow } from "../db/schema";
import { wakeScheduler } from "../dispatch/wake";
import { registry } from "../methods";
import type { ResolvedMethod } from "../methods/registry";
import { publishTaskEvents } from "../realtime/events";
import { config } from "../shared/config";
import { forbidden, invalid, invalidInput, tooLarge } from "../shared/errors";
import { newId } from "../shared/ids";
import { toJson } from "../shared/json";
import { nestsDeeperThan } from "../shared/json-depth";
import { QUEUE_TIMEOUTS } from "../shared/states";
import { hasAnyRole, type User } from "../shared/user";
import { getDb } from "../db/client";
import type { WatchedTask } from "../transitions/columns";
import { insertTask } from "../transitions/insert";
import { OPTION_KEYS, type TaskSpec } from "./spec";
import { loadCatalog, remoteMethod, splitRemote, type RemoteCatalog } from "../remote/methods";

/** How deeply task arguments may nest (a 10,000-level array still fits in 64 KB). */
export const ARGUMENTS_MAX_DEPTH = 64;

/**
 * Finds the method a spec names — by method, or by the three document fields — in the registry, or
 * on a remote target of `remote` (`<target>:<path>`, `<target>:<DocType>` for document actions).
 */
function resolveMethod(spec: TaskSpec, env: Env, path: (string | number)[], remote: RemoteCatalog): ResolvedMethod {
  const at = path.length > 0 ? ` (${path.join(".")})` : "";
  const docFields = [spec.document_type, spec.document_name, spec.document_action];
  const docCount = docFields.filter((v) => v !== undefined).length;
  if (docCount > 0 && docCount < 3) {
    throw invalid("missing_fields", `document_type, document_name and document_action must be given together${at}`);
  }
  if (docCount === 3) {
    const type = spec.document_type ?? "";
    const action = spec.document_action ?? "";
    let method: ResolvedMethod;
    if (splitRemote(type)) {
      const found = remoteMethod(remote, type, { type, action });
      if ("refused" in found) throw invalid("unknown_action", `${found.refused}${at}`);
      method = found.method;
    } else {
      const doctype = registry.docType(type, env);
      if (!doctype) throw invalid("unknown_document_type", `unknown document type ${type}${at}`);
      const registered = registry.get(`${doctype.name}.${action}`, env);
      if (!registered) throw invalid("unknown_action", `${doctype.name} has no queueable action ${action}${at}`);
      method = registered;
    }
    if (spec.method !== undefined && spec.method !== method.method) {
      throw invalid(
        "conflicting_fields",
        `method ${spec.method} does not match the document action ${method.method}${at}`,
      );
    }
    return method;
  }
  if (spec.method === undefined) {
    throw invalid(
      "missing_fields",
      `pass either method or all three of document_type, document_name and document_action${at}`,
    );
  }
  if (splitRemote(spec.method)) {
    const found = remoteMethod(remote, spec.method);
    if ("refused" in found) throw invalid("unknown_method", `${found.refused}${at}`);
    return found.method;
  }
  const method = registry.get(spec.method, env);
  if (!method || method.documentType !== undefined) {
    throw invalid("unknown_method", `unknown method ${spec.method}${at}`);
  }
  return method;
}

/**
 * Validates a spec against the registry (and the remote targets in `remote`) and the caller's roles
 * and builds the row to insert. Throws a DomainError on anything wrong; `path` prefixes error
 * locations (bulk uses the index). Methods the platform starts itself (`startedBy`) are refused
 * unless `platform` is set.
 */
export function buildTaskRow(
  spec: TaskSpec,
  user: User,
  env: Env,
  now: number,
  options: { path?: (string | number)[]; platform?: boolean; remote?: RemoteCatalog } = {},
): NewTaskRow {
  const { path = [], platform = false, remote = new Map() } = options;
  const method = resolveMethod(spec, env, path, remote);
  if (method.startedBy !== undefined && !platform) {
    const at = path.length > 0 ? ` (${path.join(".")})` : "";
    throw invalid(
      "not_enqueueable",
      `${method.method} is not enqueued through the task API${at}: start it with ${method.startedBy}`,
    );
  }
  if (!hasAnyRole(user, method.roles)) {
    throw forbidden(`you may not enqueue ${method.method} (needs one of: ${method.roles.join(", ")})`);
  }
  const kwargs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (!OPTION_KEYS.has(key)) kwargs[key] = value;
  }
  const args = { ...kwargs, ...spec.arguments };
  // Before anything serialises it: depth is what could exhaust a stack.
  if (nestsDeeperThan(args, ARGUMENTS_MAX_DEPTH)) {
    throw invalid("arguments_too_deep", `arguments nest deeper than ${ARGUMENTS_MAX_DEPTH} levels`, {
      path: [...path, "arguments"].join("."),
    });
  }
  const argsJson = toJson(args);
  const limit = config(env).maxArgumentsBytes;
  const size = new TextEncoder().encode(argsJson).length;
  if (size > limit) {
    throw tooLarge("arguments_too_large", `arguments are ${size} bytes; the limit is ${limit}`, {
      path: [...path, "arguments"].join("."),
    });
  }
  const parsed = method.args.safeParse(args);
  if (!parsed.success) {
    throw invalidInput("invalid_arguments", `arguments do not match ${method.method}`, parsed.error, [
      ...path,
      "arguments",
    ]);
  }
  const queue = spec.queue ?? method.queue ?? "default";
  const runAt = spec.run_at === undefined ? null : Date.parse(spec.run_at);
  const name = newId(now);
  return {
    name,
    jobName: spec.job_name ?? method.method,
    method: method.method,
    documentType: method.documentType ?? null,
    documentName: spec.document_name ?? null,
    documentAction: method.documentAction ?? null,
    queue,
    timeout: spec.timeout ?? method.timeout ?? QUEUE_TIMEOUTS[queue],
    priority: spec.priority ?? 0,
    atFront: spec.at_front ?? false,
    lane: spec.at_front ? 1 : 0,
    arguments: argsJson,
    status: "Pending",
    owner: user.name,
    batchId: spec.batch_id ?? null,
    batchOrder: spec.batch_order ?? 0,
    // A batch's tasks take the batch's place (the insert reads it); a lone task its own.
    orderKey: name,
    maxRetries: spec.max_retries ?? 0,
    retryDelay: spec.retry_delay ?? 0,
    retryBackoff: spec.retry_backoff ?? "fixed",
    runAt,
    wakeAt: runAt !== null && runAt > now ? runAt : null,
    dedupeKey: spec.dedupe_key ?? null,
    rerunOf: spec.rerun_of ?? null,
    createdAt: now,
  };
}

/**
 * Enqueues one task for `user`: validates the spec, inserts it (or finds its dedupe twin),
 * publishes its Pending event and wakes the method's scheduler when a pass could do something
 * (admit it now, or arm the alarm for its delayed start). Throws a DomainError on bad input.
 */
export async function enqueueTask(
  env: Env,
  user: User,
  spec: TaskSpec,
  options: { waitUntil?: (promise: Promise<unknown>) => void; now?: number } = {},
): Promise<{ task: WatchedTask; created: boolean }> {
  const remote = await loadCatalog(env, [spec.method, spec.document_type]);
  const row = buildTaskRow(spec, user, env, options.now ?? Date.now(), { remote });
  const result = await insertTask(getDb(env), row, spec.priority !== undefined);
  if (result.created) {
    // Pending goes out before the scheduler can publish Queued.
    await publishTaskEvents(env, [result.task]);
    // When nothing can be admitted now, the outcome that frees a slot (or the dispatcher switch)
    // wakes the scheduler; a delayed task always needs its alarm armed.
    if (!result.admitsNow && result.task.wakeAt === null) return result;
    const woken = wakeScheduler(env, result.task.method);
    // With waitUntil the caller answers at once; the task is durable either way, and the minute
    // cron wakes the scheduler if this wake-up never arrives.
    if (options.waitUntil) options.waitUntil(woken);
    else await woken;
  }
  return result;
}
