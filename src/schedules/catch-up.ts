// When a schedule's due slots run: catch-up after downtime (which run, how many are missed) and start jitter.
import type { Frequency, MissedPolicy } from "../shared/schedule-sets";
import { isLongFrequency, slotSequence, type SlotOptions, type Timing } from "./timing";

export const DEFAULT_CATCH_UP_WINDOW_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_CATCH_UP_CAP = 100;
/** How late the latest slot may be and still count as on time: room for an alarm that fired late or was retried. */
export const DEFAULT_GRACE_MS = 5 * 60 * 1000;
/** Cron slots are counted by stepping (~40 µs each in workerd); beyond this many the count is a lower bound. */
export const MAX_COUNTED_SLOTS = 10_000;

export interface CatchUpInput extends SlotOptions {
  timing: Timing;
  /** The latest slot already run or counted as missed; null when there has been none yet. */
  lastSlotMs: number | null;
  /**
   * When the schedule was created or last (re)started. Slots at or before it are history: neither run
   * nor counted as missed, so a new schedule never back-fills and a stop is not an outage.
   */
  activeSinceMs: number;
  nowMs: number;
  missed: MissedPolicy;
  /** Slots older than this (now − slot > window) are never run, only counted. Default 24 h. */
  windowMs?: number;
  /** At most this many runs per plan; the older surplus is counted as missed. Default 100. */
  cap?: number;
  /** The latest due slot is on time while now − slot ≤ grace. Default 5 min. */
  graceMs?: number;
}

export interface CatchUpPlan {
  /** Slots to enqueue now, ascending; each is its own dedupe key. */
  run: number[];
  /** Due slots that will not run: add them to the schedule's missed counter. */
  missed: number;
  /** False when more than MAX_COUNTED_SLOTS cron slots were due: `missed` is then a lower bound. */
  missedExact: boolean;
  /** The latest due slot, to pass as the next plan's `lastSlotMs` (unchanged when nothing was due). */
  lastSlotMs: number | null;
  /** The first slot after now, to arm the alarm for; null when the schedule has ended. */
  nextSlotMs: number | null;
}

/**
 * Plans one wake-up of a schedule. Due slots are those after max(lastSlotMs, activeSinceMs) and at or
 * before now, within start_at/end_at. The latest due slot is *on time* if it is at most `grace` old;
 * every other due slot is *missed*. Then, by policy:
 * - `skip`: only an on-time slot runs;
 * - `once`: the latest due slot runs (on time, or as the one catch-up run) if it is within the window;
 * - `all`: every due slot within the window runs, the most recent `cap` of them.
 * Every due slot that does not run is counted in `missed`, so nothing is dropped silently.
 */
export function planCatchUp(input: CatchUpInput): CatchUpPlan {
  const { nowMs } = input;
  const windowMs = input.windowMs ?? DEFAULT_CATCH_UP_WINDOW_MS;
  const cap = input.cap ?? DEFAULT_CATCH_UP_CAP;
  const graceMs = input.graceMs ?? DEFAULT_GRACE_MS;
  const slots = slotSequence(input.timing, input);
  const handledThrough = Math.max(input.lastSlotMs ?? -Infinity, input.activeSinceMs);
  const nextSlotMs = slots.after(Math.max(nowMs, handledThrough));
  const latest = slots.atOrBefore(nowMs);
  if (latest === null || latest <= handledThrough) {
    return { run: [], missed: 0, missedExact: true, lastSlotMs: input.lastSlotMs, nextSlotMs };
  }

  // Slots are whole milliseconds: "now − slot ≤ window" is "slot > now − window − 1".
  const windowFloor = Math.max(handledThrough, nowMs - windowMs - 1);
  let run: number[] = [];
  if (input.missed === "all") {
    for (let slot: number | null = latest; slot !== null && slot > windowFloor; slot = slots.atOrBefore(slot - 1)) {
      if (run.length >= cap) break;
      run.push(slot);
    }
    run.reverse();
  } else if (input.missed === "once" ? latest > windowFloor : nowMs - latest <= graceMs) {
    run = cap > 0 ? [latest] : [];
  }
  const due = slots.count(handledThrough, latest, MAX_COUNTED_SLOTS);
  return {
    run,
    missed: Math.max(0, due.count - run.length),
    missedExact: due.exact,
    lastSlotMs: latest,
    nextSlotMs,
  };
}

/** The longest start jitter of a `_long` run, in seconds. */
export const MAX_JITTER_S = 600;

/**
 * How long after its slot a run starts: for `_long` frequencies 1 to 600 whole seconds, so the long
 * jobs of one slot do not all start at once; 0 for the others. Deterministic per (schedule, slot):
 * a re-fired alarm computes the same start.
 */
export function jitterMs(frequency: Frequency, scheduleName: string, slotMs: number): number {
  if (!isLongFrequency(frequency)) return 0;
  return (1 + (hash32(`${scheduleName}\u0000${slotMs}`) % MAX_JITTER_S)) * 1000;
}

/** FNV-1a with murmur3's finaliser, so that neighbouring slots spread over the whole range. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
