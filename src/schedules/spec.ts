// What a schedule is asked to be (the API's body, a code definition) and how it becomes a stored
// definition: timing checked by the time engine, the method, roles and arguments checked by the
// same rules as an enqueue, every problem a 400 that names the field.
import { z } from "@hono/zod-openapi";
import type { NewScheduleRow } from "../db/schema";
import { invalid } from "../shared/errors";
import { toJson } from "../shared/json";
import { FREQUENCIES, MISSED_POLICIES, OVERLAP_POLICIES } from "../shared/schedule-sets";
import { QUEUE_NAMES, RETRY_BACKOFFS } from "../shared/states";
import type { User } from "../shared/user";
import type { RemoteCatalog } from "../remote/methods";
import { buildTaskRow } from "../tasks/enqueue";
import { TaskSpec } from "../tasks/spec";
import { slotOptionsOf } from "./stored";
import { isLongFrequency, nextSlot, validateTiming } from "./timing";

/** Schedule names: 1–100 of A-Z a-z 0-9 _ . : - */
export const SCHEDULE_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

const iso = z.iso.datetime({ offset: true });

/** A schedule as the API takes it (POST creates; PUT replaces the definition, keeping the run history). */
export const ScheduleSpec = z
  .strictObject({
    name: z.string().regex(SCHEDULE_NAME, "name: 1-100 of A-Z a-z 0-9 _ . : -").optional(),
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

/** The stored fields of a definition (everything but state, counters and bookkeeping). */
export type Definition = Pick<
  NewScheduleRow,
  | "description"
  | "method"
  | "documentType"
  | "documentName"
  | "documentAction"
  | "arguments"
  | "queue"
  | "priority"
  | "timeout"
  | "maxRetries"
  | "retryDelay"
  | "retryBackoff"
  | "frequency"
  | "cron"
  | "everyS"
  | "timezone"
  | "missed"
  | "catchUpWindowS"
  | "catchUpMax"
  | "overlap"
  | "startAt"
  | "endAt"
  | "maxRuns"
>;

/**
 * Checks a spec for `owner` and turns it into a definition, with the next slot after `now`.
 * Throws `invalid` (400) naming the field — an unknown zone, a bad cron, every_s < 10, a method
 * the owner may not enqueue, arguments the method refuses — and writes nothing.
 */
export function definitionOf(
  env: Env,
  spec: ScheduleSpec,
  owner: User,
  now: number,
  remote: RemoteCatalog,
): { definition: Definition; nextSlot: number | null } {
  const timing = validateTiming({
    frequency: spec.frequency,
    cron: spec.cron,
    every_s: spec.every_s,
    timezone: spec.timezone,
  });
  if (!timing.ok) {
    const [first] = timing.problems;
    throw invalid(
      "invalid_timing",
      `${first?.path ?? "frequency"}: ${first?.message ?? "invalid timing"}`,
      timing.problems,
    );
  }
  const startAt = spec.start_at === undefined ? null : Date.parse(spec.start_at);
  const endAt = spec.end_at === undefined ? null : Date.parse(spec.end_at);
  if (startAt !== null && endAt !== null && endAt <= startAt) {
    throw invalid("validation_failed", "end_at: must be after start_at", { path: "end_at" });
  }
  // The method, the owner's roles and the arguments, checked exactly as an enqueue would.
  const probe = TaskSpec.parse({
    method: spec.method,
    document_type: spec.document_type,
    document_name: spec.document_name,
    document_action: spec.document_action,
    arguments: spec.arguments ?? {},
  });
  const row = buildTaskRow(probe, owner, env, now, { remote });
  const definition: Definition = {
    description: spec.description ?? null,
    method: row.method,
    documentType: row.documentType ?? null,
    documentName: row.documentName ?? null,
    documentAction: row.documentAction ?? null,
    arguments: toJson(spec.arguments ?? {}),
    queue: spec.queue ?? (isLongFrequency(timing.timing.frequency) ? "long" : null),
    priority: spec.priority ?? null,
    timeout: spec.timeout ?? null,
    maxRetries: spec.max_retries ?? 0,
    retryDelay: spec.retry_delay ?? 0,
    retryBackoff: spec.retry_backoff ?? "fixed",
    frequency: timing.timing.frequency,
    cron: timing.timing.cron ?? null,
    everyS: timing.timing.every_s ?? null,
    timezone: timing.timing.timezone,
    missed: spec.missed ?? "once",
    catchUpWindowS: spec.catch_up_window_s ?? 86_400,
    catchUpMax: spec.catch_up_max ?? 100,
    overlap: spec.overlap ?? "skip",
    startAt,
    endAt,
    maxRuns: spec.max_runs ?? null,
  };
  return { definition, nextSlot: nextSlot(timing.timing, now, slotOptionsOf({ startAt, endAt })) };
}
