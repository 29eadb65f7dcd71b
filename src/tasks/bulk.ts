// Bulk enqueue (all or nothing, one batch), chunked bulk over ids (one task per chunk), and
// requeueing just the failed items of a chunked batch.
import { z } from "@hono/zod-openapi";
import { BatchLabel, BulkEnqueue, TaskOptions } from "../contract/tasks";
import { getDb } from "../db/client";
import { markRequeued, pendingItemFailures } from "../db/item-failures";
import { wakeSchedulers } from "../dispatch/wake";
import { registry } from "../methods";
import { CHUNK_MAX } from "../methods/items";
import { publishTaskEvents } from "../realtime/events";
import { DomainError, invalid, issueDetails } from "../shared/errors";
import { fromJson } from "../shared/json";
import { JOB_NAME_MAX } from "../shared/limits";
import { FAILURE_POLICIES } from "../shared/states";
import type { User } from "../shared/user";
import type { EventRow } from "../transitions/columns";
import { insertTasks, type BulkExtra, type BulkTaskRow } from "../transitions/insert";
import { loadCatalog, remoteMethod, splitRemote, type RemoteCatalog } from "../remote/methods";
import { buildTaskRow } from "./enqueue";
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

/** A string field of a not-yet-validated spec (for loading the remote targets it names). */
const text = (value: unknown) => (typeof value === "string" ? value : undefined);

export interface BulkResult {
  batchId: string;
  rows: EventRow[];
}

/** Every spec of a bulk call as a row of batch `batchId`, validated first: one bad spec fails all. */
function bulkRows(
  env: Env,
  user: User,
  body: BulkEnqueueBody,
  batchId: string,
  now: number,
  remote: RemoteCatalog,
): BulkTaskRow[] {
  const rawDefaults = body.defaults ?? {};
  for (const key of [...BATCH_OWNED, SINGLE_ONLY]) {
    if (key in rawDefaults) throw invalid("validation_failed", `defaults.${key} is not allowed in bulk enqueue`);
  }
  // Each part is validated on its own before merging, so a bad `arguments` in the defaults or in
  // a spec is refused exactly as the single enqueue refuses it.
  const defaults = parseSpec(rawDefaults, ["defaults"]);
  return body.tasks.map((task, index) => {
    for (const key of BATCH_OWNED) {
      if (key in task) {
        throw invalid("validation_failed", `tasks.${index}: ${key} is set by the batch`, { index, path: key });
      }
    }
    if (SINGLE_ONLY in task) {
      throw invalid(
        "validation_failed",
        `tasks.${index}: ${SINGLE_ONLY} is only for a single enqueue (POST /api/v1/tasks)`,
        {
          index,
          path: SINGLE_ONLY,
        },
      );
    }
    const spec = merge(defaults, parseSpec(task, ["tasks", index], index));
    try {
      const row = buildTaskRow({ ...spec, batch_id: batchId, batch_order: index }, user, env, now, {
        path: ["tasks", index],
        remote,
      });
      // No explicit priority: the task type's applies (resolved inside the INSERT).
      return { ...row, priority: spec.priority ?? null };
    } catch (error) {
      throw atIndex(index, error);
    }
  });
}

/**
 * `extra` with the batch's label set in the same transaction: after the batch row is written (the
 * insert writes it first) and before any task, so the label is there exactly when the tasks are.
 */
function withLabel(
  env: Env,
  batchId: string,
  owner: string,
  label: string | undefined,
  extra: BulkExtra | undefined,
): BulkExtra | undefined {
  if (label === undefined) return extra;
  const setLabel = getDb(env)
    .$client.prepare("UPDATE batches SET label = ?1 WHERE batch_id = ?2 AND owner = ?3")
    .bind(label, batchId, owner);
  return {
    before: [setLabel, ...(extra?.before ?? [])],
    guard: extra?.guard ?? { sql: "1", params: [] },
  };
}

/**
 * Validates every spec first — one bad spec (say the 318th) fails the whole call with its index
 * and writes nothing — then inserts all tasks in one transaction as one batch (labelled when a
 * label is given), publishes their events and wakes their methods' schedulers.
 */
export async function enqueueBulk(
  env: Env,
  user: User,
  body: BulkEnqueueBody,
  extra?: (batchId: string) => BulkExtra,
  now = Date.now(),
): Promise<BulkResult> {
  const batchId = body.batch_id ?? crypto.randomUUID();
  const named = [body.defaults, ...body.tasks].flatMap((spec) => [text(spec?.method), text(spec?.document_type)]);
  const rows = bulkRows(env, user, body, batchId, now, await loadCatalog(env, named));
  const inserted = await insertTasks(
    getDb(env),
    rows,
    { id: batchId, owner: user.name, policy: body.failure_policy, now },
    withLabel(env, batchId, user.name, body.label, extra?.(batchId)),
  );
  await publishTaskEvents(env, inserted);
  await wakeSchedulers(
    env,
    inserted.map((r) => r.method),
  );
  return { batchId, rows: inserted };
}

/** Chunked bulk over ids: the ids, the chunking, and the task options every chunk task runs with. */
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

/** The job name of chunk `n` ("<base>:<n>"), shortened so that it stays within the job name limit. */
function chunkJobName(base: string, n: number): string {
  const suffix = `:${n}`;
  return `${base.slice(0, JOB_NAME_MAX - suffix.length)}${suffix}`;
}
export type ChunkedBulkBody = z.infer<typeof ChunkedBulkBody>;

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
  extra?: (batchId: string) => BulkExtra,
): Promise<BulkResult & { total: number; duplicates: number }> {
  if (splitRemote(method)) {
    const found = remoteMethod(await loadCatalog(env, [method]), method);
    if ("refused" in found) throw invalid("unknown_method", found.refused);
  } else {
    const resolved = registry.get(method, env);
    if (!resolved) throw invalid("unknown_method", `unknown method ${method}`);
    if (!resolved.itemTask) {
      throw invalid("not_an_item_method", `${method} is not a per-item method (declare it with defineItemTask)`);
    }
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
  const result = await enqueueBulk(
    env,
    user,
    { tasks, defaults, batch_id: body.batch_id, label: body.label, failure_policy: body.failure_policy },
    extra,
  );
  return { ...result, total: ids.length, duplicates };
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
  for (const group of await pendingItemFailures(db, batch.batchId)) {
    const shared = fromJson(group.arguments);
    delete shared.ids;
    const result = await enqueueChunks(
      env,
      // The new batch is the batch owner's, whoever asks (an admin may requeue for a user).
      { ...user, name: batch.owner },
      group.method,
      { ids: group.ids, chunk_size: 200, arguments: shared },
      (newBatchId) => {
        const { mark, guard } = markRequeued(db, group.keys, newBatchId);
        return { before: [mark], guard };
      },
    );
    requeued.push({
      method: group.method,
      batch_id: result.batchId,
      ids: group.ids.length,
      enqueued: result.rows.length,
    });
  }
  return { batch_id: batch.batchId, requeued };
}
