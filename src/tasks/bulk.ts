// Bulk enqueue (all or nothing, one batch) and chunked bulk over ids (one task per chunk).
import { z } from "@hono/zod-openapi";
import type { User } from "../api/context";
import { ApiError, badRequest, conflict, issueDetails } from "../api/errors";
import { BATCH_ID, TaskSpec } from "../api/schemas";
import { getDb } from "../db/client";
import { dbErrorMentions } from "../db/errors";
import type { NewTaskRow } from "../db/schema";
import { wakeSchedulers } from "../dispatch/wake";
import { publishTaskEvents, type EventRow } from "../realtime/events";
import { registry } from "../methods";
import { CHUNK_MAX } from "../methods/items";
import { insertTaskRows } from "./bulk-insert";
import { buildTaskRow } from "./enqueue";
import { QUEUE_NAMES } from "./states";

export const BULK_MAX = 1000;
export const IDS_MAX = 10_000;

const FailurePolicy = z.enum(["continue", "pause_rest"]);

export const BulkEnqueueBody = z
  .strictObject({
    tasks: z.array(z.record(z.string(), z.unknown())).min(1).max(BULK_MAX),
    batch_id: z.string().regex(BATCH_ID).optional(),
    failure_policy: FailurePolicy.optional(),
    defaults: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("BulkEnqueue");
export type BulkEnqueueBody = z.infer<typeof BulkEnqueueBody>;

/** Keys a task inside a bulk call may not set: the batch decides them. */
const BATCH_OWNED = ["batch_id", "batch_order", "dedupe_key"] as const;

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
  throw badRequest("validation_failed", `${at}: ${first?.message ?? "invalid"}`, {
    ...(index === undefined ? {} : { index }),
    issues: issueDetails(parsed.error, where),
  });
}

/** Prefixes an error with the index of the spec that caused it. */
function atIndex(index: number, error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const message = error.message.startsWith(`tasks.${index}`) ? error.message : `tasks.${index}: ${error.message}`;
  return new ApiError(error.status, error.code, message, { index, details: error.details ?? null });
}

export interface BulkResult {
  batchId: string;
  rows: EventRow[];
}

/**
 * Validates every spec first — one bad spec (say the 318th) fails the whole call with its index
 * and writes nothing — then inserts all tasks in one transaction as one batch, publishes their
 * events and wakes their methods' schedulers.
 */
export async function enqueueBulk(env: Env, user: User, body: BulkEnqueueBody, now = Date.now()): Promise<BulkResult> {
  const batchId = body.batch_id ?? crypto.randomUUID();
  const rawDefaults = body.defaults ?? {};
  for (const key of BATCH_OWNED) {
    if (key in rawDefaults) throw badRequest("validation_failed", `defaults.${key} is not allowed in bulk enqueue`);
  }
  // Each part is validated on its own before merging, so a bad `arguments` in the defaults or in
  // a spec is refused exactly as the single enqueue refuses it.
  const defaults = parseSpec(rawDefaults, ["defaults"]);
  const rows: NewTaskRow[] = body.tasks.map((task, index) => {
    for (const key of BATCH_OWNED) {
      if (key in task) {
        throw badRequest("validation_failed", `tasks.${index}: ${key} is set by the batch`, { index, path: key });
      }
    }
    const spec = merge(defaults, parseSpec(task, ["tasks", index], index));
    try {
      const row = buildTaskRow({ ...spec, batch_id: batchId, batch_order: index }, user, env, now, ["tasks", index]);
      // No explicit priority: the task type's applies (resolved inside the INSERT).
      return spec.priority === undefined ? { ...row, priority: null as unknown as number } : row;
    } catch (error) {
      throw atIndex(index, error);
    }
  });
  return insertBatch(env, user, batchId, body.failure_policy, rows);
}

/** Writes the batch row (when a policy is given) and all task rows in one D1 batch. */
async function insertBatch(
  env: Env,
  user: User,
  batchId: string,
  policy: "continue" | "pause_rest" | undefined,
  rows: NewTaskRow[],
): Promise<BulkResult> {
  const db = getDb(env);
  // The batch row first, so every task of the call reads the batch's place in creation order (a
  // new batch takes its first task's name). An existing batch keeps its place; a policy given
  // here replaces the batch's. Another owner's batch is left alone: the task insert then fails.
  const before = [
    db.$client
      .prepare(
        `INSERT INTO batches (batch_id, owner, total, failure_policy, created_at, order_key)
         VALUES (?1, ?2, 0, coalesce(?3, 'continue'), ?4, ?5)
         ON CONFLICT (batch_id) DO UPDATE SET failure_policy = coalesce(?3, batches.failure_policy)
         WHERE batches.owner = excluded.owner`,
      )
      .bind(batchId, user.name, policy ?? null, Date.now(), rows[0]?.name ?? batchId),
  ];
  let inserted: EventRow[];
  try {
    inserted = await insertTaskRows(db, rows, before);
  } catch (error) {
    if (dbErrorMentions(error, "batch_id belongs to another owner")) {
      throw conflict(`batch ${batchId} belongs to another user; choose another batch_id`);
    }
    throw error;
  }
  await publishTaskEvents(env, inserted);
  await wakeSchedulers(
    env,
    inserted.map((r) => r.method),
  );
  return { batchId, rows: inserted };
}

export const ChunkedBulkBody = z
  .strictObject({
    ids: z
      .union([z.array(z.string()), z.string()])
      .openapi({ description: "Item ids: a JSON array, or a comma-separated string (as Frappe's UI sends)" }),
    chunk_size: z.int().min(1).max(CHUNK_MAX).default(200),
    queue: z.enum(QUEUE_NAMES).optional(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    job_name: z.string().min(1).max(100).optional(),
    priority: z.int().optional(),
    max_retries: z.int().min(0).max(100).optional(),
    retry_delay: z
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
    timeout: z.int().min(1).max(86_400).optional(),
    batch_id: z.string().regex(BATCH_ID).optional(),
    failure_policy: FailurePolicy.optional(),
  })
  .openapi("ChunkedBulk");
export type ChunkedBulkBody = z.infer<typeof ChunkedBulkBody>;

/** The ids of a chunked bulk call: CSV accepted, blanks dropped, duplicates removed (order kept). */
export function normaliseIds(ids: string[] | string): { ids: string[]; duplicates: number } {
  const list = (typeof ids === "string" ? ids.split(",") : ids).map((id) => id.trim()).filter((id) => id !== "");
  const unique = [...new Set(list)];
  return { ids: unique, duplicates: list.length - unique.length };
}

/**
 * Chunked bulk over ids: one task of the per-item `method` per chunk of `chunk_size` ids, all in
 * one batch. Over-limit sizes are 400s, as in the seed's enqueue_bulk.
 */
export async function enqueueChunks(
  env: Env,
  user: User,
  method: string,
  body: ChunkedBulkBody,
): Promise<BulkResult & { total: number; duplicates: number }> {
  const resolved = registry.get(method, env);
  if (!resolved) throw badRequest("unknown_method", `unknown method ${method}`);
  if (!resolved.itemTask) {
    throw badRequest("not_an_item_method", `${method} is not a per-item method (declare it with defineItemTask)`);
  }
  const { ids, duplicates } = normaliseIds(body.ids);
  if (ids.length === 0) throw badRequest("validation_failed", "ids is empty");
  if (ids.length > IDS_MAX) throw badRequest("too_many_ids", `${ids.length} ids; at most ${IDS_MAX} per call`);
  const tooLong = ids.find((id) => id.length > 140);
  if (tooLong !== undefined) throw badRequest("validation_failed", `id ${tooLong.slice(0, 40)}… is longer than 140`);
  const tasks: Record<string, unknown>[] = [];
  for (let i = 0; i < ids.length; i += body.chunk_size) {
    const n = tasks.length + 1;
    tasks.push({
      method,
      job_name: `${body.job_name ?? `bulk:${method}`}:${n}`,
      arguments: { ...body.arguments, ids: ids.slice(i, i + body.chunk_size) },
    });
  }
  const defaults: Record<string, unknown> = {};
  for (const key of ["queue", "priority", "max_retries", "retry_delay", "timeout"] as const) {
    if (body[key] !== undefined) defaults[key] = body[key];
  }
  const result = await enqueueBulk(env, user, {
    tasks,
    defaults,
    batch_id: body.batch_id,
    failure_policy: body.failure_policy,
  });
  return { ...result, total: ids.length, duplicates };
}
