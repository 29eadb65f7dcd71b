// The API's contract for operations: the dispatcher switch, the ops summary and the statistics the
// console's Overview charts.
import { z } from "zod";

export const DispatcherState = z
  .object({ enabled: z.boolean(), updated_at: z.string().nullable() })
  .meta({ id: "DispatcherState" });

const MethodSummary = z.object({
  method: z.string(),
  pending: z.number(),
  delayed: z.number(),
  paused: z.number(),
  queued: z.number(),
  started: z.number(),
  failed_last_hour: z.number(),
  oldest_pending_at: z.string().nullable(),
  oldest_pending_age_s: z.number().nullable(),
  throttled: z.number().meta({ description: "waiting tasks a throttle holds back now (flow control)" }),
  rate_limited: z.number().meta({ description: "tasks a rate limit refused so far (flow control)" }),
});

export const OpsSummary = z
  .object({
    time: z.string(),
    dispatcher: z.object({ enabled: z.boolean() }),
    last_cron_at: z.string().nullable(),
    methods: z.array(MethodSummary),
    overdue_schedules: z.array(
      z.object({ name: z.string(), owner: z.string(), due_at: z.string(), late_s: z.number() }),
    ),
    remote_targets_auth_failed: z
      .array(z.object({ name: z.string(), last_error: z.string().nullable(), last_error_at: z.string().nullable() }))
      .meta({ description: "Remote targets that refused our credentials (401/403) on their last call or test" }),
  })
  .meta({ id: "OpsSummary" });

export const Stats = z
  .object({
    time: z.string(),
    since: z.string(),
    methods: z.array(
      z.object({
        method: z.string(),
        concurrency_limit: z.number().meta({ description: "0 = unlimited" }),
        priority: z.number(),
        finished_24h: z.number(),
        failed_24h: z.number(),
        p50_s: z.number().nullable(),
        p95_s: z.number().nullable(),
      }),
    ),
    hourly: z.array(z.object({ hour: z.string(), finished: z.number(), failed: z.number(), canceled: z.number() })),
  })
  .meta({ id: "Stats" });
