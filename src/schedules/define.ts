// Schedules declared in code, like Frappe's scheduler_events: defineSchedule({...}) in registry.ts.
// They are synced into D1 on deploy (the first cron or request), run as Administrator, can be
// stopped and started but not deleted through the API.
import type { ScheduleSpec } from "./spec";

export interface ScheduleDefinition extends Omit<ScheduleSpec, "name"> {
  readonly name: string;
  /** The state a newly synced schedule starts in (later syncs keep whatever an operator set). */
  readonly stopped?: boolean;
  /** Local-only schedules are synced only where DEMO_METHODS is "on". */
  readonly demo?: boolean;
}

/** Declares a code schedule; add it to the list in schedules/registry.ts. */
export function defineSchedule(definition: ScheduleDefinition): ScheduleDefinition {
  return definition;
}
