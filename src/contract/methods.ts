// The API's contract for what a deployment runs: registered methods (and remote targets' patterns)
// and task types (a method's priority and concurrency limit).
import { z } from "zod";
import { ROLES } from "../shared/states";
import { CONCURRENCY_LIMIT_MAX, PRIORITY_BOUND } from "../shared/limits";

export const Method = z
  .object({
    method: z.string(),
    description: z.string().nullable(),
    document_type: z.string().nullable(),
    document_action: z.string().nullable(),
    queue: z.string().nullable(),
    timeout: z.number().nullable(),
    roles: z.array(z.enum(ROLES)),
    can_enqueue: z.boolean(),
    arguments_schema: z.unknown(),
    remote_target: z.string().nullable().meta({
      description: "Remote methods: the target that runs them; `method` is then a pattern (`*` = any run)",
    }),
  })
  .meta({ id: "Method" });

export const TaskType = z
  .object({
    method: z.string(),
    priority: z.number(),
    concurrency_limit: z.number().meta({ description: "0 = unlimited" }),
    is_standard: z.boolean(),
    updated_at: z.string(),
  })
  .meta({ id: "TaskType" });

export const TaskTypeBody = z.strictObject({
  priority: z.int().min(-PRIORITY_BOUND).max(PRIORITY_BOUND).optional(),
  concurrency_limit: z.int().min(0).max(CONCURRENCY_LIMIT_MAX).optional(),
  is_standard: z.boolean().optional(),
});
