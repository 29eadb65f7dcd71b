// Request and response schemas shared by the routes (they also make up the OpenAPI document).
import { z } from "@hono/zod-openapi";
import { QUEUE_NAMES, RETRY_BACKOFFS, ROLES, TASK_STATUSES } from "../tasks/states";

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string(),
      details: z.unknown(),
    }),
  })
  .openapi("Error");

/** A JSON response for a route's `responses`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Standard error responses, spread into each route's `responses`. */
export const errorResponses = {
  400: { description: "Invalid input", content: { "application/json": { schema: ErrorEnvelope } } },
  401: { description: "Missing or invalid API key", content: { "application/json": { schema: ErrorEnvelope } } },
  403: { description: "Not permitted", content: { "application/json": { schema: ErrorEnvelope } } },
  404: { description: "Not found (or not yours)", content: { "application/json": { schema: ErrorEnvelope } } },
} as const;

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

export const BATCH_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/** One task to enqueue. Unknown top-level keys are the method's keyword arguments (`arguments` wins). */
export const TaskSpec = z
  .looseObject({
    method: optional(z.string().min(1).max(140)).openapi({ example: "demo.sleep" }),
    document_type: optional(z.string().min(1).max(140)),
    document_name: optional(z.string().min(1).max(140)),
    document_action: optional(z.string().min(1).max(140)),
    job_name: optional(z.string().min(1).max(140)),
    queue: optional(z.enum(QUEUE_NAMES)),
    timeout: optional(z.int().min(1).max(86_400)).openapi({ description: "seconds" }),
    priority: optional(z.int().min(-1_000_000).max(1_000_000)),
    at_front: optional(z.boolean()),
    arguments: optional(z.record(z.string(), z.unknown())).openapi({ example: { ms: 1000 } }),
    max_retries: optional(z.int().min(0).max(100)),
    retry_delay: optional(
      z
        .int()
        .min(0)
        .max(7 * 86_400),
    ).openapi({ description: "seconds" }),
    retry_backoff: optional(z.enum(RETRY_BACKOFFS)),
    run_at: optional(z.iso.datetime({ offset: true })).openapi({ description: "delayed start (ISO 8601)" }),
    dedupe_key: optional(z.string().min(1).max(200)),
    batch_id: optional(z.string().regex(BATCH_ID, "batch_id: 1-100 of A-Z a-z 0-9 _ . : -")),
    batch_order: optional(z.int().min(0).max(1_000_000_000)),
  })
  .openapi("TaskSpec");
export type TaskSpec = z.output<typeof TaskSpec>;

const Progress = z.object({
  count: z.number().optional(),
  total: z.number().optional(),
  description: z.string().optional(),
});
const isoTime = z.string().nullable();

export const Task = z
  .object({
    name: z.string(),
    job_name: z.string(),
    method: z.string(),
    document_type: z.string().nullable(),
    document_name: z.string().nullable(),
    document_action: z.string().nullable(),
    queue: z.string(),
    timeout: z.number(),
    priority: z.number(),
    at_front: z.boolean(),
    arguments: z.unknown(),
    status: z.enum(TASK_STATUSES),
    status_message: z.string().nullable(),
    owner: z.string(),
    batch_id: z.string().nullable(),
    batch_order: z.number().nullable(),
    max_retries: z.number(),
    retry_delay: z.number(),
    retry_backoff: z.string(),
    retry_count: z.number(),
    retry_at: isoTime,
    run_at: isoTime,
    dedupe_key: z.string().nullable(),
    created_at: isoTime,
    queued_at: isoTime,
    started_at: isoTime,
    ended_at: isoTime,
    time_taken: z.number().nullable(),
    attempt: z.number(),
    result: z.unknown(),
    error_message: z.string().nullable(),
    debug_log: z.string().nullable(),
    progress: Progress.nullable(),
    job_id: z.string().nullable(),
  })
  .openapi("Task");

export const TaskName = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "name", in: "path" } }),
});

export const RoleList = z.array(z.enum(ROLES));

/** A list page: `{ data, next_cursor }`. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** `?limit=` for lists. */
export const Limit = z.coerce.number().int().min(1).max(500).default(50);
