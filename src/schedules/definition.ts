// How a schedule spec becomes a stored definition: timing checked by the time engine, the method,
// roles and arguments checked by the same rules as an enqueue, every problem a 400 that names the field.
import type { NewScheduleRow } from "../db/schema";
import { invalid } from "../shared/errors";
import { toJson } from "../shared/json";
import type { User } from "../shared/user";
import { buildTask } from "../tasks/enqueue";
import type { MethodResolver } from "../tasks/resolve";
import { TaskSpec } from "../tasks/spec";
import type { ScheduleSpec } from "./spec";
import { slotOptionsOf } from "./stored";
import { isLongFrequency, nextSlot, validateTiming } from "./timing";

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
 * How far ahead a schedule may start. Its timer is a Durable Object alarm, which refuses dates past
 * the 2180s, and the cron engine finds no slot past its own horizon: a schedule saved beyond either
 * would be accepted and then never fire, so it is refused at save instead.
 */
export const MAX_START_AHEAD_MS = 100 * 365 * 86_400_000;

const startProblem = (message: string) =>
  invalid("validation_failed", `start_at: ${message}`, [{ path: "start_at", message }]);

/**
 * Checks a spec for `owner` and turns it into a definition, with the next slot after `now`.
 * Throws `invalid` (400) naming the field — an unknown zone, a bad cron, every_s < 10, a start_at
 * too far ahead to arm, a method the owner may not enqueue, arguments the method refuses — and
 * writes nothing.
 */
export function definitionOf(
  env: Env,
  spec: ScheduleSpec,
  owner: User,
  now: number,
  resolver: MethodResolver,
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
  if (startAt !== null && startAt > now + MAX_START_AHEAD_MS) {
    throw startProblem("at most 100 years ahead: the schedule's timer cannot be armed further");
  }
  // The method, the owner's roles and the arguments, checked exactly as an enqueue would.
  const probe = TaskSpec.parse({
    method: spec.method,
    document_type: spec.document_type,
    document_name: spec.document_name,
    document_action: spec.document_action,
    arguments: spec.arguments ?? {},
  });
  const row = buildTask(probe, owner, env, now, resolver.resolve(probe), "probe");
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
  const next = nextSlot(timing.timing, now, slotOptionsOf({ startAt, endAt }));
  // A start with no slot after it could never be armed (past the cron engine's horizon).
  if (next === null && startAt !== null && startAt > now && (endAt === null || endAt > startAt)) {
    throw startProblem("the timing has no run at or after start_at, so the schedule could never fire");
  }
  return { definition, nextSlot: next };
}
