// A schedule before it is saved: what a spec would do — its timing in words and its next runs —
// checked exactly as a save checks it (a 400 naming the field), with nothing written.
import type { ScheduleRow } from "../db/schema";
import { fromJson } from "../shared/json";
import type { User } from "../shared/user";
import { loadCatalog } from "../remote/methods";
import { definitionOf } from "./definition";
import { describeTiming, isoInZone } from "./describe";
import type { ScheduleSpec } from "./spec";
import { slotOptionsOf, timingOf } from "./stored";
import { nextSlots } from "./timing";

/** How many upcoming runs a preview lists (as a schedule's page does). */
const PREVIEW_RUNS = 10;

/**
 * The timing in words and the next runs (ISO 8601 in the schedule's zone) of `spec` saved for
 * `owner` — the caller for a new schedule, the stored schedule's owner for an edit.
 */
export async function previewSchedule(env: Env, spec: ScheduleSpec, owner: User, now = Date.now()) {
  const remote = await loadCatalog(env, [spec.method, spec.document_type]);
  const { definition: d } = definitionOf(env, spec, owner, now, remote);
  const timezone = d.timezone ?? "UTC";
  const timing = timingOf({ frequency: d.frequency, cron: d.cron ?? null, everyS: d.everyS ?? null, timezone });
  const window = slotOptionsOf({ startAt: d.startAt ?? null, endAt: d.endAt ?? null });
  const runs = timing === null ? [] : nextSlots(timing, now, PREVIEW_RUNS, window);
  return {
    timing: timing === null ? d.frequency : describeTiming(timing),
    timezone,
    next_runs: runs.map((ms) => isoInZone(ms, timezone)),
  };
}

/** Who an edit of `row` is checked for: its owner, with the roles it was saved with. */
export function ownerOf(row: ScheduleRow): User {
  return { name: row.owner, roles: fromJson(row.ownerRoles), key: "schedule" };
}
