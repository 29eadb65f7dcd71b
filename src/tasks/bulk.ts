// Bulk enqueue (all or nothing, one batch), chunked bulk over ids (one task per chunk), and
// requeueing just the failed items of a chunked batch.
import { z } from "@hono/zod-openapi";
import { BatchLabel, BulkEnqueue, TaskOptions } from "../contract/tasks";
import { joinBatch } from "../db/batches";
import { getDb } from "../db/client";
import { markRequeued, unrequeuedItemFailures, type FailedItems } from "../db/item-failures";
import { routeCode } from "../db/routes";
import type { TraceContext } from "../shared/trace";
import type { NewTask } from "../live/enqueue";
import { placeTasks } from "../live/client";
import { readTasks } from "../live/read";
import type { TaskRecord } from "../live/store";
import { CHUNK_MAX } from "../methods/items";
import { conflict, DomainError, invalid, issueDetails } from "../shared/errors";
import { newId } from "../shared/ids";
import { fromJson } from "../shared/json";
import { JOB_NAME_MAX } from "../shared/limits";
import { FAILURE_POLICIES } from "../shared/states";
import type { User } from "../shared/user";
import { insertAll, type CommitStep } from "./commit";
import { buildTask } from "./enqueue";
import { MethodResolver } from "./resolve";
import { BATCH_ID, TaskSpec } from "./spec";

export const IDS_MAX = 10_000;

export type BulkEnqueueBody = z.output<typeof BulkEnqueue>;

/** Keys a task inside a bulk call may not set: the batch decides them. */
const BATCH_OWNED = ["batch_id", "batch_order", "dedupe_key"] as const;
/** "Run again" links one task to one earlier task the caller may see: a single enqueue's option. */
const SINGLE_ONLY = "rerun_of";

/** Defaults under per-task values; `arguments` objects (both already validated) are merged one level. */
function merge(defaults: TaskSpec, task: TaskSpec): TaskSpec {
  const merged = { ...defaults, ...task };
  if (defaults.arguments !== undefined || task.arguments !== undefined) {
    merged.arguments = { ...defaults.arguments, ...task.arguments };
  }
  return merged;
}

/** Parses one spec (or the defaults) exactly as the single enqueue does; a 400 naming `where` otherwise. */
function parseSpec(value: Record<string, unknown>, where: (string | number)[], index?: number): TaskSpec {
  const parsed = TaskSpec.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const at = [...where, ...(first?.path ?? [])].map(String).join(".");
  throw invalid("validation_failed", `${at}: ${first?.message ?? "invalid"}`, {
    ...(index === undefined ? {} : { index }),
    issues: issueDetails(parsed.error, where),
  });
}

/** Adds the spec's index to an error's details. */
function atIndex(index: number, error: unknown): unknown {
  if (!(error instanceof DomainError)) return error;
  const message = error.message.startsWith(`tasks.${index}`) ? error.message : `tasks.${index}: ${error.message}`;
  return new DomainError(error.kind, error.code, message, { index, details: error.details ?? null });
}

export interface BulkResult {
  batchId: string;
  tasks: TaskRecord[];
}

/** Every spec of a bulk call as a task of batch `batchId`, validated first: one bad spec fails all. */
async function bulkTasks(
  env: Env,
  user: User,
  body: BulkEnqueueBody,
  batchId: string,
  now: number,
  trace?: TraceContext,
): Promise<NewTask[]> {
  const rawDefaults = body.defaults ?? {};
  for (const key of [...BATCH_OWNED, SINGLE_ONLY]) {
    if (key in rawDefaults) throw invalid("validation_failed", `defaults.${key} is not allowed in bulk enqueue`);
  }
  // Each part is validated on its own before merging, so a bad `arguments` in the defaults or in
  // a spec is refused exactly as the single enqueue refuses it.
  const defaults = parseSpec(rawDefaults, ["defaults"]);
  const specs = body.tasks.map((task, index) => {
    for (const key of BATCH_OWNED) {
      if (key in task) {
        throw invalid("validation_failed", `tasks.${index}: ${key} is set by the batch`, { index, path: key });
      }
    }
    if (SINGLE_ONLY in task) {
      throw invalid(
        "validation_failed",
        `tasks.${index}: ${SINGLE_ONLY} is only for a single enqueue (POST /api/v1/tasks)`,
        { index, path: SINGLE_ONLY },
      );
    }
    return merge(defaults, parseSpec(task, ["tasks", index], index));
  });
  const resolver = await MethodResolver.load(
    env,
    specs.flatMap((spec) => [spec.method, spec.document_type]),
  );
  const methods = specs.map((spec, index) => {
    try {
      return resolver.resolve(spec, ["tasks", index]);
    } catch (error) {
      throw atIndex(index, error);
    }
  });
  const codes = new Map<string, string>();
  for (const method of new Set(methods.map((m) => m.method))) codes.set(method, await routeCode(getDb(env), method));
  const built = specs.map((spec, index) => {
    const method = methods[index];
    if (!method) throw new Error(`spec ${index} has no method`);
    try {
      return buildTask(
        { ...spec, batch_id: batchId, batch_order: index },
        user,
        env,
        now,
        method,
        newId(now) + (codes.get(method.method) ?? ""),
        { path: ["tasks", index], ...(trace ? { trace } : {}) },
      );
    } catch (error) {
      throw atIndex(index, error);
    }
  });
  // A sharded method's tasks are spread over its objects (the shard is part of each name).
  return placeTasks(env, built);
}

/**
 * Validates every spec first — one bad spec (say the 318th) fails the whole call with its index
 * and writes nothing — then joins (or creates) the batch and inserts every task all or nothing
 * into its method's object (the label, when given, is set in the same commit as the tasks).
 */
export async function enqueueBulk(
  env: Env,
  user: User,
  body: BulkEnqueueBody,
  now = Date.now(),
  trace?: TraceContext,
): Promise<BulkResult> {
  const result = await enqueueBatch(env, user, body, undefined, now, trace);
  if (result === null) throw new Error("a bulk enqueue without a commit condition cannot be refused");
  return result;
}

/** enqueueBulk with `commit`: what must be written in the same commit; null when its guard did not hold. */
async function enqueueBatch(
  env: Env,
  user: User,
  body: BulkEnqueueBody,
  commit: ((batchId: string) => CommitStep) | undefined,
  now = Date.now(),
  trace?: TraceContext,
): Promise<BulkResult | null> {
  const batchId = body.batch_id ?? crypto.randomUUID();
  const tasks = await bulkTasks(env, user, body, batchId, now, trace);
  const batch = await joinBatch(getDb(env), {
    batchId,
    owner: user.name,
    orderKey: tasks[0]?.name ?? batchId,
    now,
    policy: body.failure_policy,
  });
  if (batch === null) throw conflict(`batch ${batchId} belongs to another user; choose another batch_id`);
  for (const task of tasks) task.orderKey = batch.orderKey;
  const extra = commit?.(batchId);
  const label =
    body.label === undefined
      ? []
      : [
          getDb(env)
            .$client.prepare("UPDATE batches SET label = ?1 WHERE batch_id = ?2 AND owner = ?3")
            .bind(body.label, batchId, user.name),
        ];
  const inserted = await insertAll(env, tasks, {
    batchId,
    pauseRest: batch.failurePolicy === "pause_rest" ? [batchId] : undefined,
    commit: { statements: [...label, ...(extra?.statements ?? [])], guard: extra?.guard },
  });
  return inserted === null ? null : { batchId, tasks: inserted.map((r) => r.task) };
}

export const ChunkedBulkBody = z
  .strictObject({
    ids: z
      .union([z.array(z.string()), z.string()])
      .openapi({ description: "Item ids: a JSON array, or a comma-separated string (as Frappe's UI sends)" }),
    chunk_size: z.int().min(1).max(CHUNK_MAX).default(200),
    arguments: z.record(z.string(), z.unknown()).optional(),
    batch_id: BATCH_ID.optional(),
    label: BatchLabel.optional(),
    failure_policy: z.enum(FAILURE_POLICIES).optional(),
    ...TaskOptions.partial().shape,
  })
  .openapi("ChunkedBulk");
export type ChunkedBulkBody = z.infer<typeof ChunkedBulkBody>;

/** The job name of chunk `n` ("<base>:<n>"), shortened so that it stays within the job name limit. */
function chunkJobName(base: string, n: number): string {
  const suffix = `:${n}`;
  return `${base.slice(0, JOB_NAME_MAX - suffix.length)}${suffix}`;
}

/** The ids of a chunked bulk call: CSV accepted, blanks dropped, duplicates removed (order kept). */
export function normaliseIds(ids: string[] | string): { ids: string[]; duplicates: number } {
  const list = (typeof ids === "string" ? ids.split(",") : ids).map((id) => id.trim()).filter((id) => id !== "");
  const unique = [...new Set(list)];
  return { ids: unique, duplicates: list.length - unique.length };
}

/**
 * Chunked bulk over ids: one task of the per-item `method` per chunk of `chunk_size` ids, all in
 * one batch. Over-limit sizes are 400s, as in the seed's enqueue_bulk. A remote method gets its
 * chunk as the `ids` argument and answers for the chunk as a whole.
 */
export async function enqueueChunks(
  env: Env,
  user: User,
  method: string,
  body: ChunkedBulkBody,
  trace?: TraceContext,
): Promise<BulkResult & { total: number; duplicates: number }> {
  const result = await enqueueChunksCommitted(env, user, method, body, undefined, trace);
  if (result === null) throw new Error("a chunked bulk call without a commit condition cannot be refused");
  return result;
}

/** enqueueChunks with a commit condition (null when it did not hold). */
async function enqueueChunksCommitted(
  env: Env,
  user: User,
  method: string,
  body: ChunkedBulkBody,
  commit: ((batchId: string) => CommitStep) | undefined,
  trace?: TraceContext,
): Promise<(BulkResult & { total: number; duplicates: number }) | null> {
  const resolved = (await MethodResolver.load(env, [method])).method(method);
  if (resolved.remote === undefined && !resolved.itemTask) {
    throw invalid("not_an_item_method", `${method} is not a per-item method (declare it with defineItemTask)`);
  }
  const { ids, duplicates } = normaliseIds(body.ids);
  if (ids.length === 0) throw invalid("validation_failed", "ids is empty");
  if (ids.length > IDS_MAX) throw invalid("too_many_ids", `${ids.length} ids; at most ${IDS_MAX} per call`);
  const tooLong = ids.find((id) => id.length > 140);
  if (tooLong !== undefined) throw invalid("validation_failed", `id ${tooLong.slice(0, 40)}… is longer than 140`);
  const chunkSize = body.chunk_size;
  const tasks: Record<string, unknown>[] = [];
  for (let i = 0; i < ids.length; i += chunkSize) {
    const n = tasks.length + 1;
    tasks.push({
      method,
      job_name: chunkJobName(body.job_name ?? `bulk:${method}`, n),
      arguments: { ...body.arguments, ids: ids.slice(i, i + chunkSize) },
    });
  }
  const defaults: Record<string, unknown> = {};
  for (const key of ["queue", "priority", "max_retries", "retry_delay", "retry_backoff", "timeout"] as const) {
    if (body[key] !== undefined) defaults[key] = body[key];
  }
  const result = await enqueueBatch(
    env,
    user,
    { tasks, defaults, batch_id: body.batch_id, label: body.label, failure_policy: body.failure_policy },
    commit,
    Date.now(),
    trace,
  );
  return result === null ? null : { ...result, total: ids.length, duplicates };
}

/**
 * A batch's failed items not yet requeued, grouped by method, in batch order. Their tasks are read
 * exactly (from their objects while live): a chunk's failures are recorded while it runs, before
 * the log has its outcome.
 */
async function pendingItemFailures(env: Env, batchId: string): Promise<FailedItems[]> {
  const keys = await unrequeuedItemFailures(getDb(env), batchId);
  const tasks = new Map((await readTasks(env, [...new Set(keys.map((k) => k.task))])).map((t) => [t.name, t]));
  const ordered = keys
    .filter((k) => tasks.has(k.task))
    .sort((a, b) => (tasks.get(a.task)?.batchOrder ?? 0) - (tasks.get(b.task)?.batchOrder ?? 0));
  const byMethod = new Map<string, FailedItems>();
  for (const key of ordered) {
    const task = tasks.get(key.task);
    if (!task) continue;
    const group = byMethod.get(task.method) ?? { method: task.method, ids: [], keys: [], arguments: task.arguments };
    group.ids.push(key.item);
    group.keys.push(key);
    byMethod.set(task.method, group);
  }
  return [...byMethod.values()];
}

/**
 * Enqueues just the failed items of a batch's chunk tasks again, one new batch per method, owned by
 * the batch's owner. Each new batch is inserted in the same transaction that marks its items as
 * requeued, and only if every one of them was still unmarked: a crash or a second, racing call
 * can never requeue an item twice.
 */
export async function requeueFailedItems(env: Env, user: User, batch: { batchId: string; owner: string }) {
  const db = getDb(env);
  const requeued = [];
  for (const group of await pendingItemFailures(env, batch.batchId)) {
    const shared = fromJson(group.arguments);
    delete shared.ids;
    const result = await enqueueChunksCommitted(
      env,
      // The new batch is the batch owner's, whoever asks (an admin may requeue for a user).
      { ...user, name: batch.owner },
      group.method,
      { ids: group.ids, chunk_size: 200, arguments: shared },
      (newBatchId) => {
        const { mark, guard } = markRequeued(db, group.keys, newBatchId);
        return { statements: [mark], guard };
      },
    );
    // A racing requeue marked these items first: it requeues them, this call does not.
    if (result === null) continue;
    requeued.push({
      method: group.method,
      batch_id: result.batchId,
      ids: group.ids.length,
      enqueued: result.tasks.length,
    });
  }
  return { batch_id: batch.batchId, requeued };
}
