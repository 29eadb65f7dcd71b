// Enqueueing one task: resolve the method once (registered in code, or a remote target's), check
// the caller's roles and the arguments, build the task (its name carries the method's route code),
// and hand it to the method's object — which inserts it (or finds its dedupe twin) and admits it.
import { getDb } from "../db/client";
import { joinBatch } from "../db/batches";
import { routeCode } from "../db/routes";
import type { NewTask } from "../live/enqueue";
import type { ResolvedMethod } from "../methods/registry";
import { config } from "../shared/config";
import { conflict, forbidden, invalid, invalidInput, tooLarge } from "../shared/errors";
import { newId } from "../shared/ids";
import { toJson } from "../shared/json";
import { nestsDeeperThan } from "../shared/json-depth";
import { QUEUE_TIMEOUTS } from "../shared/states";
import { newTrace, type TraceContext } from "../shared/trace";
import { hasAnyRole, type User } from "../shared/user";
import { enqueueIn, placeTasks } from "../live/client";
import { insertAll } from "./commit";
import { MethodResolver } from "./resolve";
import { OPTION_KEYS, type TaskSpec } from "./spec";
import type { TaskRecord } from "../live/store";

/** How deeply task arguments may nest (a 10,000-level array still fits in 64 KB). */
export const ARGUMENTS_MAX_DEPTH = 64;

/** A new task's name: a time-sortable id and its method's route code. */
export async function newTaskName(env: Env, method: string, now: number): Promise<string> {
  return newId(now) + (await routeCode(getDb(env), method));
}

/**
 * Validates a spec for its resolved method and the caller's roles and builds the task. Throws a
 * DomainError on anything wrong; `path` prefixes error locations (bulk uses the index). Methods
 * the platform starts itself (`startedBy`) are refused unless `platform` is set.
 */
export function buildTask(
  spec: TaskSpec,
  user: User,
  env: Env,
  now: number,
  method: ResolvedMethod,
  name: string,
  options: { path?: (string | number)[]; platform?: boolean; trace?: TraceContext } = {},
): NewTask {
  const { path = [], platform = false } = options;
  const trace = options.trace ?? newTrace();
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
  return {
    name,
    jobName: spec.job_name ?? method.method,
    method: method.method,
    documentType: method.documentType ?? null,
    documentName: spec.document_name ?? null,
    documentAction: method.documentAction ?? null,
    queue,
    timeout: spec.timeout ?? method.timeout ?? QUEUE_TIMEOUTS[queue],
    priority: spec.priority ?? null,
    atFront: spec.at_front ?? false,
    lane: spec.at_front ? 1 : 0,
    arguments: argsJson,
    status: "Pending",
    statusMessage: null,
    owner: user.name,
    batchId: spec.batch_id ?? null,
    batchOrder: spec.batch_order ?? 0,
    // A batch's tasks take the batch's place (set when the batch is joined); a lone task its own.
    orderKey: name,
    maxRetries: spec.max_retries ?? 0,
    retryDelay: spec.retry_delay ?? 0,
    retryBackoff: spec.retry_backoff ?? "fixed",
    retryCount: 0,
    runAt,
    wakeAt: runAt !== null && runAt > now ? runAt : null,
    dedupeKey: spec.dedupe_key ?? null,
    rerunOf: spec.rerun_of ?? null,
    flowKeys: null,
    flowOutcome: null,
    createdAt: now,
    queuedAt: null,
    startedAt: null,
    endedAt: null,
    timeTaken: null,
    attempt: 0,
    leaseUntil: null,
    result: null,
    errorMessage: null,
    debugLog: null,
    progress: null,
    jobId: null,
    scheduledJob: null,
    scheduledFor: null,
    traceparent: trace.traceparent,
    tracestate: trace.tracestate,
  };
}

/**
 * Enqueues one task for `user`: validates the spec, joins its batch if it names one, and hands
 * the task to its method's object, which inserts it (or returns the live task of the same owner
 * holding the same dedupe_key) and admits it when a slot is free. Throws a DomainError on bad input.
 */
export async function enqueueTask(
  env: Env,
  user: User,
  spec: TaskSpec,
  now = Date.now(),
  trace?: TraceContext,
): Promise<{ task: TaskRecord; created: boolean }> {
  const resolver = await MethodResolver.load(env, [spec.method, spec.document_type]);
  const method = resolver.resolve(spec);
  const built = buildTask(spec, user, env, now, method, await newTaskName(env, method.method, now), {
    ...(trace ? { trace } : {}),
  });
  const [task] = await placeTasks(env, [built]);
  if (!task) throw new Error("placing a task lost it");
  let pauseRest: string[] | undefined;
  if (task.batchId !== null) {
    const batch = await joinBatch(getDb(env), {
      batchId: task.batchId,
      owner: user.name,
      orderKey: task.name,
      now,
    });
    if (batch === null) throw conflict(`batch ${task.batchId} belongs to another user; choose another batch_id`);
    task.orderKey = batch.orderKey;
    if (batch.failurePolicy === "pause_rest") pauseRest = [task.batchId];
  }
  // A task joining a batch is committed with the batch's total (see tasks/commit.ts).
  const [result] =
    task.batchId === null
      ? await enqueueIn(env, task.method, [task])
      : ((await insertAll(env, [task], { batchId: task.batchId, pauseRest })) ?? []);
  if (!result) throw new Error(`the object of ${task.method} answered nothing for ${task.name}`);
  return result;
}
