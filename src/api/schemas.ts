// Request and response schemas shared by the routes (they also make up the OpenAPI document).
import { z } from "@hono/zod-openapi";
import { QUEUE_NAMES, RETRY_BACKOFFS, ROLES, TASK_STATUSES } from "../shared/states";
import { pathParam } from "./router";

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
    queue: z.enum(QUEUE_NAMES),
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
    retry_backoff: z.enum(RETRY_BACKOFFS),
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
    scheduled_job: z.string().nullable().openapi({ description: "the scheduled job this task is a run of" }),
    scheduled_for: isoTime.openapi({ description: "the slot it runs for" }),
  })
  .openapi("Task");

export const TaskName = z.object({ name: pathParam("name", 64) });

export const RoleList = z.array(z.enum(ROLES));
