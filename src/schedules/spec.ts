// What a schedule is asked to be (the API's body, a code definition), validated with zod. A leaf
// module (the TypeScript client borrows its type); definition.ts turns it into a stored definition.
import { z } from "@hono/zod-openapi";
import { idRule, userChosenId } from "../shared/names";
import { FREQUENCIES, MISSED_POLICIES, OVERLAP_POLICIES } from "../shared/schedule-sets";
import { QUEUE_NAMES, RETRY_BACKOFFS } from "../shared/states";

const iso = z.iso.datetime({ offset: true });

/** A schedule as the API takes it (POST creates; PUT replaces the definition, keeping the run history). */
export const ScheduleSpec = z
  .strictObject({
    name: userChosenId("schedule")
      .optional()
      .openapi({ description: `${idRule("schedule")} (default: a generated sched-… name)` }),
    description: z.string().max(500).optional(),
    method: z.string().min(1).max(140).optional().openapi({ example: "demo.echo" }),
    document_type: z.string().min(1).max(140).optional(),
    document_name: z.string().min(1).max(140).optional(),
    document_action: z.string().min(1).max(140).optional(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    queue: z.enum(QUEUE_NAMES).optional(),
    priority: z.int().min(-1_000_000).max(1_000_000).optional(),
    timeout: z.int().min(1).max(86_400).optional(),
    max_retries: z.int().min(0).max(100).optional(),
    retry_delay: z
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
    retry_backoff: z.enum(RETRY_BACKOFFS).optional(),
    frequency: z.enum(FREQUENCIES).openapi({ example: "every" }),
    cron: z.string().min(1).max(200).optional().openapi({ description: "5 or 6 fields (frequency cron)" }),
    every_s: z.int().optional().openapi({ description: "seconds, ≥ 10 (frequency every)", example: 10 }),
    timezone: z.string().min(1).max(64).optional().openapi({ description: "IANA zone (default UTC)" }),
    missed: z.enum(MISSED_POLICIES).optional(),
    catch_up_window_s: z
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
    catch_up_max: z.int().min(1).max(1000).optional(),
    overlap: z.enum(OVERLAP_POLICIES).optional(),
    start_at: iso.optional(),
    end_at: iso.optional(),
    max_runs: z.int().min(1).max(1_000_000_000).optional(),
  })
  .openapi("ScheduleSpec");
export type ScheduleSpec = z.output<typeof ScheduleSpec>;
