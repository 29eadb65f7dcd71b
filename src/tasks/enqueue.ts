// Turning a validated task spec into a Pending row, and inserting it (with dedupe).
import { and, eq, isNotNull, or, inArray, sql } from "drizzle-orm";
import { ApiError, badRequest, conflict, forbidden, issueDetails } from "../api/errors";
import { hasAnyRole, type User } from "../api/context";
import type { TaskSpec } from "../api/schemas";
import type { Db } from "../db/client";
import { batches, taskTypes, tasks, type NewTaskRow } from "../db/schema";
import { publishTaskEvents, rowWithWatch } from "../realtime/events";
import { getDb } from "../db/client";
import { dbErrorMentions } from "../db/errors";
import { wakeScheduler } from "../dispatch/wake";
import type { WatchedTask } from "./lifecycle";
import { config } from "../lib/config";
import { newId } from "../lib/ids";
import { nestsDeeperThan } from "../lib/json-depth";
import { registry } from "../methods";
import type { ResolvedMethod } from "../methods/registry";
import { QUEUE_TIMEOUTS } from "./states";

/** Keys of TaskSpec that are enqueue options; every other top-level key is a keyword argument. */
const OPTION_KEYS = new Set([
  "method",
  "document_type",
  "document_name",
  "document_action",
  "job_name",
  "queue",
  "timeout",
  "priority",
  "at_front",
  "arguments",
  "max_retries",
  "retry_delay",
  "retry_backoff",
  "run_at",
  "dedupe_key",
  "batch_id",
  "batch_order",
]);

/** How deeply task arguments may nest (a 10,000-level array still fits in 64 KB). */
export const ARGUMENTS_MAX_DEPTH = 64;

/** Finds the registered method a spec names (by method, or by the three document fields). */
function resolveMethod(spec: TaskSpec, env: Env, path: (string | number)[]): ResolvedMethod {
  const at = path.length > 0 ? ` (${path.join(".")})` : "";
  const docFields = [spec.document_type, spec.document_name, spec.document_action];
  const docCount = docFields.filter((v) => v !== undefined).length;
  if (docCount > 0 && docCount < 3) {
    throw badRequest("missing_fields", `document_type, document_name and document_action must be given together${at}`);
  }
  if (docCount === 3) {
    const doctype = registry.docType(spec.document_type ?? "", env);
    if (!doctype) throw badRequest("unknown_document_type", `unknown document type ${spec.document_type}${at}`);
    const derived = `${doctype.name}.${spec.document_action}`;
    const method = registry.get(derived, env);
    if (!method) {
      throw badRequest("unknown_action", `${doctype.name} has no queueable action ${spec.document_action}${at}`);
    }
    if (spec.method !== undefined && spec.method !== derived) {
      throw badRequest(
        "conflicting_fields",
        `method ${spec.method} does not match the document action ${derived}${at}`,
      );
    }
    return method;
  }
  if (spec.method === undefined) {
    throw badRequest(
      "missing_fields",
      `pass either method or all three of document_type, document_name and document_action${at}`,
    );
  }
  const method = registry.get(spec.method, env);
  if (!method || method.documentType !== undefined) {
    throw badRequest("unknown_method", `unknown method ${spec.method}${at}`);
  }
  return method;
}

/**
 * Validates a spec against the registry and the caller's roles and builds the row to insert.
 * Throws ApiError (4xx) on anything wrong; `path` prefixes error locations (bulk uses the index).
 * Methods the platform starts itself (`startedBy`) are refused unless `platform` is set.
 */
export function buildTaskRow(
  spec: TaskSpec,
  user: User,
  env: Env,
  now: number,
  path: (string | number)[] = [],
  platform = false,
): NewTaskRow {
  const method = resolveMethod(spec, env, path);
  if (method.startedBy !== undefined && !platform) {
    const at = path.length > 0 ? ` (${path.join(".")})` : "";
    throw badRequest(
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
    throw badRequest("arguments_too_deep", `arguments nest deeper than ${ARGUMENTS_MAX_DEPTH} levels`, {
      path: [...path, "arguments"].join("."),
    });
  }
  const argsJson = JSON.stringify(args);
  const limit = config(env).maxArgumentsBytes;
  const size = new TextEncoder().encode(argsJson).length;
  if (size > limit) {
    throw new ApiError(413, "arguments_too_large", `arguments are ${size} bytes; the limit is ${limit}`, {
      path: [...path, "arguments"].join("."),
    });
  }
  const parsed = method.args.safeParse(args);
  if (!parsed.success) {
    throw badRequest(
      "invalid_arguments",
      `arguments do not match ${method.method}: ${parsed.error.issues[0]?.message ?? "invalid"}`,
      issueDetails(parsed.error, [...path, "arguments"]),
    );
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
    // A batch's tasks take the batch's place (insertTask reads it); a lone task its own.
    orderKey: name,
    maxRetries: spec.max_retries ?? 0,
    retryDelay: spec.retry_delay ?? 0,
    retryBackoff: spec.retry_backoff ?? "fixed",
    runAt,
    wakeAt: runAt !== null && runAt > now ? runAt : null,
    dedupeKey: spec.dedupe_key ?? null,
    createdAt: now,
  };
}

/** The task type's priority, used when the spec gives none (evaluated inside the INSERT). */
export function defaultPriority(method: string) {
  return sql`coalesce((SELECT ${taskTypes.priority} FROM ${taskTypes} WHERE ${taskTypes.method} = ${method}), 0)`;
}

/**
 * The order_key of a task joining batch `batchId`: the batch's, or — for the batch's first task,
 * whose insert creates the batch row (trigger) — the task's own name. Read inside the INSERT.
 */
function batchOrderKey(batchId: string, name: string) {
  return sql`coalesce((SELECT ${batches.orderKey} FROM ${batches} WHERE ${batches.batchId} = ${batchId}), ${name})`;
}

/**
 * Whether the new task's method can admit it right now (dispatcher on, and no limit or a free
 * slot), read in the INSERT itself. When it cannot, enqueue need not wake the scheduler: the
 * completion that frees a slot sees the waiting task (its own RETURNING checks) and wakes it.
 */
const canAdmitNow = sql<number>`CASE
  WHEN coalesce((SELECT value FROM settings WHERE key = 'dispatcher_enabled'), '1') <> '1' THEN 0
  WHEN coalesce((SELECT concurrency_limit FROM task_types WHERE method = ${tasks.method}), 0) = 0 THEN 1
  ELSE (SELECT count(*) FROM tasks AS running INDEXED BY tasks_in_flight
        WHERE running.method = ${tasks.method} AND running.queued_at IS NOT NULL AND running.ended_at IS NULL)
     < (SELECT concurrency_limit FROM task_types WHERE method = ${tasks.method})
END`;

const liveForDedupe = or(
  inArray(tasks.status, ["Pending", "Queued", "Started", "Paused"]),
  and(eq(tasks.status, "Failed"), isNotNull(tasks.wakeAt)),
);

/**
 * Inserts the row, or — when a live task of the same owner has the same dedupe_key — returns that
 * task instead (`created: false`). `explicitPriority` false means the task type's priority applies.
 */
export async function insertTask(
  db: Db,
  row: NewTaskRow,
  explicitPriority: boolean,
): Promise<{ task: WatchedTask; created: boolean; canAdmitNow: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const values = {
      ...row,
      ...(explicitPriority ? {} : { priority: defaultPriority(row.method) }),
      ...(row.batchId ? { orderKey: batchOrderKey(row.batchId, row.name) } : {}),
    };
    let inserted: (WatchedTask & { canAdmitNow: number }) | undefined;
    try {
      [inserted] = await db
        .insert(tasks)
        .values(values)
        .onConflictDoNothing()
        .returning({ ...rowWithWatch, canAdmitNow });
    } catch (error) {
      if (dbErrorMentions(error, "batch_id belongs to another owner")) {
        throw conflict(`batch ${row.batchId} belongs to another user; choose another batch_id`);
      }
      throw error;
    }
    if (inserted) {
      const { canAdmitNow: admit, ...task } = inserted;
      return { task, created: true, canAdmitNow: admit === 1 };
    }
    if (row.dedupeKey === null || row.dedupeKey === undefined) break;
    const [existing] = await db
      .select()
      .from(tasks)
      .where(and(eq(tasks.owner, row.owner), eq(tasks.dedupeKey, row.dedupeKey), liveForDedupe));
    if (existing) return { task: { ...existing, watchUntil: null }, created: false, canAdmitNow: false };
    // The live duplicate ended between the two statements: try the insert again.
  }
  throw new Error(`could not insert task ${row.name}`);
}

/**
 * Enqueues one task for `user`: validates the spec, inserts it (or finds its dedupe twin),
 * publishes its Pending event and wakes the method's scheduler. Throws ApiError on bad input.
 */
export async function enqueueTask(
  env: Env,
  user: User,
  spec: TaskSpec,
  options: { waitUntil?: (promise: Promise<unknown>) => void; now?: number } = {},
): Promise<{ task: WatchedTask; created: boolean }> {
  const row = buildTaskRow(spec, user, env, options.now ?? Date.now());
  const result = await insertTask(getDb(env), row, spec.priority !== undefined);
  if (result.created) {
    // Pending goes out before the scheduler can publish Queued.
    await publishTaskEvents(env, [result.task]);
    // A delayed task needs the scheduler to arm its alarm; otherwise only a free slot needs it.
    if (!result.canAdmitNow && result.task.wakeAt === null) return result;
    const woken = wakeScheduler(env, result.task.method);
    // With waitUntil the caller answers at once; the task is durable either way, and the minute
    // cron wakes the scheduler if this wake-up never arrives.
    if (options.waitUntil) options.waitUntil(woken);
    else await woken;
  }
  return result;
}
