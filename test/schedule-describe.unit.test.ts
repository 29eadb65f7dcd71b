import { describe, expect, it } from "vitest";
import { describeTiming, isoInZone } from "../src/schedules/describe";
import { validateTiming, type Timing, type TimingInput } from "../src/schedules/timing";

const at = (iso: string) => Date.parse(iso);

function timing(input: TimingInput): Timing {
  const result = validateTiming(input);
  if (!result.ok) throw new Error(`invalid timing: ${JSON.stringify(result.problems)}`);
  return result.timing;
}

describe("isoInZone", () => {
  it.each([
    ["2026-03-29T01:00:00Z", "Europe/Berlin", "2026-03-29T03:00:00+02:00"],
    ["2026-01-01T12:00:00Z", "Europe/Berlin", "2026-01-01T13:00:00+01:00"],
    ["2026-01-01T00:00:00Z", "Asia/Kolkata", "2026-01-01T05:30:00+05:30"],
    ["2026-06-01T00:00:00Z", "Australia/Lord_Howe", "2026-06-01T10:30:00+10:30"],
    ["2026-12-01T00:00:00Z", "Australia/Lord_Howe", "2026-12-01T11:00:00+11:00"],
    ["2026-11-01T05:30:00Z", "America/New_York", "2026-11-01T01:30:00-04:00"],
    ["2026-11-01T06:30:00Z", "America/New_York", "2026-11-01T01:30:00-05:00"],
    ["2026-01-01T00:00:00Z", "UTC", "2026-01-01T00:00:00+00:00"],
    ["2026-01-01T00:00:00Z", "Europe/London", "2026-01-01T00:00:00+00:00"],
  ])("%s in %s is %s", (instant, zone, expected) => {
    expect(isoInZone(at(instant), zone)).toBe(expected);
    expect(Date.parse(expected)).toBe(at(instant));
  });

  it("shows milliseconds only when there are some, also before 1970", () => {
    expect(isoInZone(at("2026-05-01T12:00:03.250Z"), "Asia/Kolkata")).toBe("2026-05-01T17:30:03.250+05:30");
    expect(isoInZone(at("1969-12-31T23:59:59.500Z"), "UTC")).toBe("1969-12-31T23:59:59.500+00:00");
  });

  it("gives a seconds part to historical offsets with seconds, and keeps years below 100", () => {
    // Berlin kept local mean time (+00:53:28) until 1893.
    expect(isoInZone(at("1890-01-01T00:00:00Z"), "Europe/Berlin")).toBe("1890-01-01T00:53:28+00:53:28");
    expect(isoInZone(at("0099-06-01T00:00:00Z"), "UTC")).toBe("0099-06-01T00:00:00+00:00");
  });

  it("throws RangeError for an unknown zone", () => {
    expect(() => isoInZone(0, "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("describeTiming", () => {
  it.each([
    [{ frequency: "daily", timezone: "Europe/Berlin" }, "Every day at 00:00 (Europe/Berlin)"],
    [{ frequency: "hourly", timezone: "Asia/Kolkata" }, "Every hour, on the hour (Asia/Kolkata)"],
    [{ frequency: "weekly" }, "Every Sunday at 00:00 (UTC)"],
    [
      { frequency: "monthly", timezone: "Australia/Lord_Howe" },
      "On the 1st of every month at 00:00 (Australia/Lord_Howe)",
    ],
    [{ frequency: "yearly" }, "Every year on 1 January at 00:00 (UTC)"],
    [{ frequency: "annual" }, "Every year on 1 January at 00:00 (UTC)"],
    [
      { frequency: "daily_long", timezone: "America/New_York" },
      "Every day at 00:00 (America/New_York), on the long queue",
    ],
    [{ frequency: "all", timezone: "Europe/Berlin" }, "Every minute"],
  ])("%j reads %j", (input, expected) => {
    expect(describeTiming(timing(input))).toBe(expected);
  });

  it.each([
    [10, "Every 10 seconds"],
    [90, "Every 90 seconds"],
    [60, "Every minute"],
    [900, "Every 15 minutes"],
    [3600, "Every hour"],
    [7200, "Every 2 hours"],
    [86_400, "Every day"],
    [172_800, "Every 2 days"],
  ])("every %i s reads %j, without a zone", (every_s, expected) => {
    expect(describeTiming(timing({ frequency: "every", every_s, timezone: "Europe/Berlin" }))).toBe(expected);
  });

  it.each([
    ["30 9 * * 1-5", "At 09:30, Monday through Friday (Europe/Berlin)"],
    ["*/15 * * * *", "Every 15 minutes (Europe/Berlin)"],
    ["*/10 * * * * *", "Every 10 seconds (Europe/Berlin)"],
    ["0 2 * * *", "At 02:00 (Europe/Berlin)"],
    ["0 9 * * MON#2", "At 09:00, on the second Monday of the month (Europe/Berlin)"],
    // croner's "+": day-of-month AND day-of-week.
    ["0 12 1 * +MON", "At 12:00, on day 1 of the month, only on Monday (Europe/Berlin)"],
    // cronstrue cannot read "last Friday" written as 5#L; the expression is shown as is.
    ["0 0 * * 5#L", 'Cron "0 0 * * 5#L" (Europe/Berlin)'],
  ])("cron %j reads %j", (cron, expected) => {
    expect(describeTiming(timing({ frequency: "cron", cron, timezone: "Europe/Berlin" }))).toBe(expected);
  });
});
