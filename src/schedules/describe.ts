// How a schedule's times read to people: instants in the schedule's zone as ISO 8601, timings in English.
import { toString as describeCron } from "cronstrue";
import { isLongFrequency, presetCron, type Timing } from "./timing";

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * An instant as ISO 8601 wall-clock time in `timezone` with that zone's UTC offset at the instant:
 * `2026-03-29T03:00:00+02:00`. The offset is always numeric (`+00:00` for UTC) so every string has
 * the same shape; milliseconds appear only when not zero. Throws RangeError for an unknown zone.
 */
export function isoInZone(ms: number, timezone: string): string {
  const millis = ((ms % 1000) + 1000) % 1000;
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timezone).formatToParts(ms)) parts[part.type] = part.value;
  const field = (type: string) => Number(parts[type]);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const wall = new Date(0);
  wall.setUTCFullYear(field("year"), field("month") - 1, field("day"));
  wall.setUTCHours(field("hour"), field("minute"), field("second"));
  const offsetS = Math.round((wall.getTime() - (ms - millis)) / 1000);
  const abs = Math.abs(offsetS);
  // Zones had offsets with seconds before standard time (LMT); ISO 8601 then needs a seconds part.
  const offset =
    (offsetS < 0 ? "-" : "+") +
    [Math.floor(abs / 3600), Math.floor(abs / 60) % 60, ...(abs % 60 === 0 ? [] : [abs % 60])].map(pad2).join(":");
  const date = `${String(field("year")).padStart(4, "0")}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}:${parts.second}${millis === 0 ? "" : `.${String(millis).padStart(3, "0")}`}`;
  return `${date}T${time}${offset}`;
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** The preset patterns in words (cronstrue would say "At 00:00, only on Sunday"). */
const PRESET_WORDS: Record<string, string> = {
  "0 * * * *": "Every hour, on the hour",
  "0 0 * * *": "Every day at 00:00",
  "0 0 * * 0": "Every Sunday at 00:00",
  "0 0 1 * *": "On the 1st of every month at 00:00",
  "0 0 1 1 *": "Every year on 1 January at 00:00",
};

const UNITS = [
  [86_400, "day"],
  [3_600, "hour"],
  [60, "minute"],
  [1, "second"],
] as const;

/**
 * A short English description of a timing: "Every day at 00:00 (Europe/Berlin)", "Every 10 seconds",
 * "At 09:30, Monday through Friday (Europe/Berlin)". Wall-clock timings name their zone; `all` and
 * `every` are real-time intervals and do not. `_long` frequencies say so.
 */
export function describeTiming(timing: Timing): string {
  const zone = ` (${timing.timezone})`;
  switch (timing.frequency) {
    case "all":
      return "Every minute";
    case "every": {
      const [size, unit] = UNITS.find(([seconds]) => timing.every_s % seconds === 0) ?? UNITS[3];
      const count = timing.every_s / size;
      return count === 1 ? `Every ${unit}` : `Every ${count} ${unit}s`;
    }
    case "cron":
      return cronWords(timing.cron) + zone;
    default: {
      const pattern = presetCron(timing.frequency);
      const long = isLongFrequency(timing.frequency) ? ", on the long queue" : "";
      return (PRESET_WORDS[pattern] ?? cronWords(pattern)) + zone + long;
    }
  }
}

/** cronstrue's reading of an expression, or the expression itself where cronstrue cannot read it. */
function cronWords(expression: string): string {
  const fields = expression.split(" ");
  const weekday = fields.at(-1) ?? "";
  // croner's "+" (day-of-month AND day-of-week) is cronstrue's logicalAndDayFields option.
  const and = weekday.startsWith("+");
  const plain = and ? [...fields.slice(0, -1), weekday.slice(1)].join(" ") : expression;
  try {
    return describeCron(plain, {
      use24HourTimeFormat: true,
      throwExceptionOnParseError: true,
      logicalAndDayFields: and,
    });
  } catch {
    return `Cron "${expression}"`;
  }
}
