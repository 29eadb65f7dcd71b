// A schedule runs as its owner, so only while the owner could still act: an API schedule whose
// owner holds no live API key any more (every key revoked) stops — visibly, with the reason as its
// stop note — instead of enqueuing work in the name of someone who was shut out.
import { holdsLiveKey } from "../auth/keys";
import { getDb } from "../db/client";
import { runningSchedulesOf, updateSchedule } from "../db/schedules";
import type { ScheduleRow } from "../db/schema";
import { conflict } from "../shared/errors";
import { log } from "../shared/log";

/** The stop note of a schedule whose owner lost every key. */
export const ownerlessNote = (owner: string) =>
  `stopped: its owner ${owner} no longer holds a valid API key; start it again once they have one`;

/** Whether the schedule may run: code schedules always; API schedules while their owner holds a live key. */
export async function ownerMayRun(env: Env, row: ScheduleRow): Promise<boolean> {
  return row.source === "code" || holdsLiveKey(getDb(env), env, row.owner);
}

/** Throws a 409 when the schedule's owner holds no live key (start and run now refuse then). */
export async function requireOwnerKey(env: Env, row: ScheduleRow): Promise<void> {
  if (!(await ownerMayRun(env, row))) {
    throw conflict(
      `scheduled job ${row.name} runs as ${row.owner}, who no longer holds a valid API key`,
      undefined,
      "owner_without_key",
    );
  }
}

/**
 * Stops the schedule because its owner lost every key (a compare-and-set on its version: a
 * concurrent change wins, and the next firing checks again). Returns the stopped row, or null.
 */
export async function stopOwnerless(env: Env, row: ScheduleRow, now = Date.now()): Promise<ScheduleRow | null> {
  const stopped = await updateSchedule(getDb(env), row.name, row.version, {
    stopped: true,
    stopNote: ownerlessNote(row.owner),
    stoppedAt: now,
    nextFireAt: null,
    updatedAt: now,
  });
  if (stopped) log.warn("schedule stopped: its owner holds no valid API key", { schedule: row.name, owner: row.owner });
  return stopped;
}

/**
 * After a key of `owner` was revoked: if it was their last, their running API schedules stop now
 * (the firing would stop each anyway; this makes it visible at once). Returns the names stopped.
 */
export async function stopSchedulesOfKeyless(env: Env, owner: string): Promise<ScheduleRow[]> {
  if (await holdsLiveKey(getDb(env), env, owner)) return [];
  const stopped: ScheduleRow[] = [];
  for (const row of await runningSchedulesOf(getDb(env), owner)) {
    const after = await stopOwnerless(env, row);
    if (after) stopped.push(after);
  }
  return stopped;
}
