// The time engine of scheduled jobs: frequencies, timing validation and the slots a timing yields. Pure.
import { Cron, CronPattern } from "croner";
import { FREQUENCIES, type Frequency } from "../shared/schedule-sets";

export type LongFrequency = Extract<Frequency, `${string}_long`>;

export type PresetFrequency = Exclude<Frequency, "all" | "cron" | "every">;

/** The named frequencies that are a fixed cron pattern. `all` is not here: it is a 60 s interval. */
// prettier-ignore
const PRESET_CRON: Record<PresetFrequency, string> = {
  hourly: "0 * * * *", hourly_long: "0 * * * *",
  daily: "0 0 * * *", daily_long: "0 0 * * *",
  weekly: "0 0 * * 0", weekly_long: "0 0 * * 0",
  monthly: "0 0 1 * *", monthly_long: "0 0 1 * *",
  yearly: "0 0 1 1 *", yearly_long: "0 0 1 1 *",
  annual: "0 0 1 1 *", annual_long: "0 0 1 1 *",
};

/** The cron pattern a named frequency stands for, read in the schedule's zone. */
export function presetCron(frequency: PresetFrequency): string {
  return PRESET_CRON[frequency];
}

/** A validated timing. Build it with `validateTiming`; `timezone` is an IANA name. */
export type Timing =
  | { frequency: PresetFrequency | "all"; timezone: string; cron?: undefined; every_s?: undefined }
  | { frequency: "cron"; cron: string; timezone: string; every_s?: undefined }
  | { frequency: "every"; every_s: number; timezone: string; cron?: undefined };

/** Timing as it arrives from code or the API, before validation. */
export interface TimingInput {
  frequency: string;
  cron?: string | null;
  every_s?: number | null;
  timezone?: string | null;
}

/** One reason a timing was refused; `path` names the field, as in the API's error `details`. */
export interface TimingProblem {
  path: "frequency" | "cron" | "every_s" | "timezone";
  message: string;
}

export const MIN_EVERY_S = 10;
export const MAX_EVERY_S = 366 * 24 * 60 * 60;
export const DEFAULT_TIMEZONE = "UTC";

export function isFrequency(value: string): value is Frequency {
  return (FREQUENCIES as readonly string[]).includes(value);
}

/** True for the frequencies the engine puts on the long queue with a start jitter. */
export function isLongFrequency(frequency: Frequency): frequency is LongFrequency {
  return frequency.endsWith("_long");
}

/**
 * Checks a timing and returns it normalised (zone name in Intl's casing, cron whitespace collapsed,
 * unused fields dropped) or every problem found, each a sentence fit for a 400 response.
 */
export function validateTiming(
  input: TimingInput,
): { ok: true; timing: Timing } | { ok: false; problems: TimingProblem[] } {
  const problems: TimingProblem[] = [];
  const refuse = (path: TimingProblem["path"], message: string) => void problems.push({ path, message });
  const { frequency } = input;
  const timezone = normaliseTimezone(input.timezone ?? DEFAULT_TIMEZONE);
  if (timezone === null) {
    refuse("timezone", `unknown time zone "${input.timezone}"; expected an IANA name such as "Europe/Berlin" or "UTC"`);
  }
  if (!isFrequency(frequency)) {
    refuse("frequency", `unknown frequency "${frequency}"; expected one of ${FREQUENCIES.join(", ")}`);
    return { ok: false, problems };
  }
  const cron = input.cron ?? null;
  const everyS = input.every_s ?? null;
  if (frequency !== "cron" && cron !== null) {
    refuse("cron", `a cron expression is only used with frequency "cron", not "${frequency}"`);
  }
  if (frequency !== "every" && everyS !== null) {
    refuse("every_s", `every_s is only used with frequency "every", not "${frequency}"`);
  }
  const expression = cron?.trim().split(/\s+/).join(" ") ?? "";
  if (frequency === "cron") {
    const reason = expression === "" ? 'frequency "cron" needs a cron expression' : cronProblem(expression);
    if (reason !== null) refuse("cron", reason);
  }
  if (
    frequency === "every" &&
    !(everyS !== null && Number.isInteger(everyS) && everyS >= MIN_EVERY_S && everyS <= MAX_EVERY_S)
  ) {
    refuse(
      "every_s",
      everyS === null
        ? 'frequency "every" needs every_s, the seconds between runs'
        : `every_s must be a whole number of seconds from ${MIN_EVERY_S} to ${MAX_EVERY_S} (366 days), not ${everyS}`,
    );
  }
  if (problems.length > 0 || timezone === null) return { ok: false, problems };
  if (frequency === "cron") return { ok: true, timing: { frequency, cron: expression, timezone } };
  if (frequency !== "every") return { ok: true, timing: { frequency, timezone } };
  return everyS === null ? { ok: false, problems } : { ok: true, timing: { frequency, every_s: everyS, timezone } };
}

/** The zone name if Intl knows it (with Intl's casing when that is the only difference), else null. */
function normaliseTimezone(name: string): string | null {
  // Intl also accepts offsets such as "+05:30"; a schedule needs a named zone so that DST is followed.
  if (!/^[A-Za-z]/.test(name)) return null;
  try {
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    // workerd answers with ICU's canonical ID, which can be an older alias (Asia/Kolkata becomes
    // Asia/Calcutta, EST becomes America/Panama): keep the name the user chose.
    return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
  } catch {
    return null;
  }
}

/** Why a (whitespace-normalised) cron expression is refused, or null if it is fine. */
function cronProblem(expression: string): string | null {
  const fields = expression.split(" ").length;
  if (fields !== 5 && fields !== 6) {
    return (
      `cron expression "${expression}" has ${fields} field${fields === 1 ? "" : "s"}; expected 5 ` +
      "(minute hour day-of-month month day-of-week) or 6 (second first)"
    );
  }
  let pattern: CronPattern;
  try {
    pattern = new CronPattern(expression, undefined, { mode: "5-or-6-parts" });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return `invalid cron expression "${expression}": ${reason}`;
  }
  if (new Cron(expression, { mode: "5-or-6-parts", timezone: "UTC" }).nextRun(new Date(0)) === null) {
    return `cron expression "${expression}" never matches a date`;
  }
  const seconds = flagged(pattern.second);
  // Conservative: assumes the minute after also matches, as it does for a wildcard minute.
  for (let i = 1; i <= seconds.length && seconds.length > 1; i++) {
    const from = seconds[i - 1] ?? 0;
    const to = i < seconds.length ? (seconds[i] ?? 0) : (seconds[0] ?? 0) + 60;
    if (to - from < MIN_EVERY_S) {
      return `cron expression "${expression}" runs more often than every ${MIN_EVERY_S} seconds (second ${from} and ${to % 60} are ${to - from} s apart)`;
    }
  }
  return null;
}

/** The values whose flag is set in one of croner's field arrays (index = value). */
function flagged(field: number[]): number[] {
  return field.flatMap((on, value) => (on ? [value] : []));
}

/** Where a timing's slots are anchored and bounded. All instants are epoch milliseconds (integers). */
export interface SlotOptions {
  /** `every` slots are `anchorMs + k × every_s`; default 0, aligned to the epoch (and so to UTC minutes). */
  anchorMs?: number;
  /** No slot before this instant (inclusive bound). */
  startAtMs?: number | null;
  /** No slot after this instant (inclusive bound). */
  endAtMs?: number | null;
}

/** A timing's slots as a sequence, compiled once for callers that step through many of them. */
export interface SlotSequence {
  /** The first slot strictly after `ms`, or null if there is none (end reached). */
  after(ms: number): number | null;
  /** The last slot at or before `ms`, or null if there is none. */
  atOrBefore(ms: number): number | null;
  /**
   * How many slots lie in (fromExclusiveMs, toInclusiveMs]. Interval timings are counted exactly;
   * cron timings by stepping, at most `budget` slots: `exact` is false if more were left uncounted.
   */
  count(fromExclusiveMs: number, toInclusiveMs: number, budget: number): { count: number; exact: boolean };
}

/**
 * The slots of a timing, honouring the schedule's start and end. Slots are UTC instants: cron and the
 * named frequencies are read in the timing's zone under the DST rule of `compileCron`; `every` and
 * `all` are plain real-time intervals (every minute at second 0 for `all`), which no DST change moves.
 */
export function slotSequence(timing: Timing, options: SlotOptions = {}): SlotSequence {
  const raw = rawSequence(timing, options.anchorMs ?? 0);
  // Slots are whole milliseconds, so "at or after start" is "after ceil(start) - 1".
  const floor = options.startAtMs == null ? -Infinity : Math.ceil(options.startAtMs) - 1;
  const ceiling = options.endAtMs ?? Infinity;
  const after = (ms: number) => {
    const slot = raw.after(Math.max(ms, floor));
    return slot !== null && slot <= ceiling ? slot : null;
  };
  return {
    after,
    atOrBefore(ms) {
      const slot = raw.atOrBefore(Math.min(ms, ceiling));
      return slot !== null && slot > floor ? slot : null;
    },
    count(fromExclusiveMs, toInclusiveMs, budget) {
      const from = Math.max(fromExclusiveMs, floor);
      const to = Math.min(toInclusiveMs, ceiling);
      if (to <= from) return { count: 0, exact: true };
      if (raw.count) return { count: raw.count(from, to), exact: true };
      let count = 0;
      for (let slot = after(from); slot !== null && slot <= to; slot = after(slot)) {
        if (count === budget) return { count, exact: false };
        count++;
      }
      return { count, exact: true };
    },
  };
}

/** The first slot strictly after `afterMs`, or null if the schedule has none left. */
export function nextSlot(timing: Timing, afterMs: number, options?: SlotOptions): number | null {
  return slotSequence(timing, options).after(afterMs);
}

/** The last slot at or before `atOrBeforeMs` (the one a schedule should have run last), or null. */
export function previousSlot(timing: Timing, atOrBeforeMs: number, options?: SlotOptions): number | null {
  return slotSequence(timing, options).atOrBefore(atOrBeforeMs);
}

/** The next `count` slots strictly after `afterMs`, ascending (fewer if the schedule ends). */
export function nextSlots(timing: Timing, afterMs: number, count: number, options?: SlotOptions): number[] {
  return collect(slotSequence(timing, options), afterMs, Infinity, count);
}

/** The slots in (fromExclusiveMs, toInclusiveMs], ascending, at most `limit` (the earliest ones). */
export function slotsBetween(
  timing: Timing,
  fromExclusiveMs: number,
  toInclusiveMs: number,
  limit: number,
  options?: SlotOptions,
): number[] {
  return collect(slotSequence(timing, options), fromExclusiveMs, toInclusiveMs, limit);
}

function collect(slots: SlotSequence, fromExclusiveMs: number, toInclusiveMs: number, limit: number): number[] {
  const found: number[] = [];
  for (let slot = slots.after(fromExclusiveMs); slot !== null && slot <= toInclusiveMs; slot = slots.after(slot)) {
    if (found.length >= limit) break;
    found.push(slot);
  }
  return found;
}

interface RawSequence {
  after(ms: number): number | null;
  atOrBefore(ms: number): number | null;
  /** Present when counting needs no stepping. */
  count?(fromExclusiveMs: number, toInclusiveMs: number): number;
}

function rawSequence(timing: Timing, anchorMs: number): RawSequence {
  if (timing.frequency === "every") return interval(timing.every_s * 1000, anchorMs);
  // Every real minute: with whole-minute UTC offsets (all zones since 1972) this is what `* * * * *`
  // yields in any zone, and it can be counted without stepping through a long outage minute by minute.
  if (timing.frequency === "all") return interval(60_000, 0);
  const cron = compileCron(timing.frequency === "cron" ? timing.cron : PRESET_CRON[timing.frequency], timing.timezone);
  return {
    after: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    // croner's previous runs lie strictly before the reference.
    atOrBefore: (ms) => cron.previousRuns(1, new Date(ms + 1))[0]?.getTime() ?? null,
  };
}

function interval(periodMs: number, anchorMs: number): RawSequence {
  const index = (ms: number) => Math.floor((ms - anchorMs) / periodMs);
  return {
    after: (ms) => anchorMs + (index(ms) + 1) * periodMs,
    atOrBefore: (ms) => anchorMs + index(ms) * periodMs,
    count: (fromExclusiveMs, toInclusiveMs) => index(toInclusiveMs) - index(fromExclusiveMs),
  };
}

/**
 * A croner job for a valid cron expression, with our DST rule. A pattern whose hour field is a
 * wildcard (`*`, `*\/2`, `?`) follows real time, croner's "interval" handling: a local time the
 * spring change skips does not run, a repeated one runs at each real occurrence. Any other pattern is
 * wall-clock, croner's "fixed-time" handling: a skipped local time runs once, at the first instant
 * after the gap; a repeated one runs once, at its first occurrence. croner decides between the two
 * from the second, minute and hour fields together (a step or wildcard anywhere makes an interval
 * job), so wall-clock patterns get those three fields rewritten as the explicit lists they stand for,
 * which its "no-wildcard" rule counts as fixed-time.
 */
function compileCron(expression: string, timezone: string): Cron {
  const fields = expression.split(" ");
  const six = fields.length === 5 ? ["0", ...fields] : fields;
  const options = { timezone, mode: "6-part", fixedTimeRule: "no-wildcard" } as const;
  if (/[*?]/.test(six[2] ?? "*")) return new Cron(six.join(" "), options);
  const parsed = new CronPattern(six.join(" "), undefined, { mode: "6-part" });
  const clock = [parsed.second, parsed.minute, parsed.hour].map((field) => flagged(field).join(","));
  return new Cron([...clock, ...six.slice(3)].join(" "), options);
}
