// The API's contract for what a deployment runs: registered methods (and remote targets' patterns)
// and task types (a method's priority and concurrency limit).
import { z } from "zod";
import { ROLES } from "../shared/states";
import { CONCURRENCY_LIMIT_MAX, PRIORITY_BOUND } from "../shared/limits";

/** Flow control settings (docs/flow-control.md); checked field by field by shared/flow.ts checkFlow. */
export const FlowControlSchema = z.record(z.string(), z.unknown()).meta({
  id: "FlowControl",
  description:
    'Inngest\'s options: fairness (false | { key?, weights? }), concurrency [{ key, limit }], throttle { limit, period, burst?, key? }, rateLimit { limit, period, key? }, debounce { key, period, timeout? }, singleton { key, mode: skip | cancel }, shards (1–16: the method over that many objects; its limit leased to them, keyed rules on one key). Keys: owner or arguments.<path>; periods: "500ms", "1s", "5m", "4h", "1d".',
  example: {
    concurrency: [{ key: "arguments.customer", limit: 2 }],
    throttle: { limit: 20, period: "1s", burst: 5 },
    rateLimit: { limit: 100, period: "1h", key: "owner" },
  },
});

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
    flow_control: z.record(z.string(), z.unknown()).nullable().meta({
      description: "flow control declared in code (defineTask's flow); a task type's flow_control replaces it",
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
    flow_control: FlowControlSchema.nullable().meta({
      description: "set on the task type; null: the settings declared in code (see effective_flow_control)",
    }),
    effective_flow_control: FlowControlSchema.nullable().meta({
      description:
        "what the method's object admits by: flow_control, else defineTask's flow, else null (fairness by owner only)",
    }),
  })
  .meta({ id: "TaskType" });

/** GET /api/v1/task-types/{method}/flow (src/live/flow-usage.ts). */
export const FlowUsage = z
  .object({
    method: z.string(),
    flow_control: FlowControlSchema.nullable(),
    limit: z.number().meta({ description: "the method's concurrency limit (0 = unlimited)" }),
    running: z.number(),
    keys: z
      .array(z.object({ key: z.string(), value: z.string(), running: z.number(), limit: z.number() }))
      .meta({ description: "running tasks per concurrency key value (busiest first, at most 50)" }),
    singletons: z.array(z.object({ value: z.string(), running: z.number() })),
    throttles: z
      .array(z.object({ value: z.string(), next_start_at: z.string().nullable() }))
      .meta({ description: "per throttle key of waiting tasks: when its next start is allowed (null: now)" }),
    waiting: z
      .array(z.object({ fair_key: z.string(), waiting: z.number() }))
      .meta({ description: "waiting tasks per fairness key (most first, at most 50)" }),
    throttled: z.number().meta({ description: "waiting tasks a throttle holds back now" }),
    rate_limited: z.number().meta({ description: "tasks a rate limit refused so far" }),
    shards: z
      .array(
        z.object({
          shard: z.number(),
          running: z.number(),
          slots: z.number().nullable().meta({ description: "slots of the limit it holds now (null: unlimited)" }),
        }),
      )
      .meta({
        description: "a sharded method's objects: each one's running tasks and leased slots (empty: one object)",
      }),
  })
  .meta({ id: "FlowUsage" });

export const TaskTypeBody = z.strictObject({
  priority: z.int().min(-PRIORITY_BOUND).max(PRIORITY_BOUND).optional(),
  concurrency_limit: z.int().min(0).max(CONCURRENCY_LIMIT_MAX).optional(),
  is_standard: z.boolean().optional(),
  flow_control: FlowControlSchema.nullable().optional().meta({
    description:
      "replaces the method's flow control (null: back to what its code declares); bad input is a 400 naming the field",
  }),
});
