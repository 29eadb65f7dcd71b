// What a caller asks to enqueue: the task spec (options plus arguments), validated with zod.
import { z } from "@hono/zod-openapi";
import { userChosenId } from "../shared/names";
import { QUEUE_NAMES, RETRY_BACKOFFS } from "../shared/states";

const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** A batch id a caller chooses: the shared id grammar (shared/names.ts). */
export const BATCH_ID = userChosenId("batch");

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
    batch_id: optional(BATCH_ID),
    batch_order: optional(z.int().min(0).max(1_000_000_000)),
  })
  .openapi("TaskSpec");
export type TaskSpec = z.output<typeof TaskSpec>;

/** Keys of TaskSpec that are enqueue options; every other top-level key is a keyword argument. */
export const OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(TaskSpec.shape));
