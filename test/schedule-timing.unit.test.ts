import { describe, expect, it } from "vitest";
import { FREQUENCIES } from "../src/shared/schedule-sets";
import {
  nextSlot,
  nextSlots,
  previousSlot,
  slotSequence,
  slotsBetween,
  validateTiming,
  type Timing,
  type TimingInput,
} from "../src/schedules/timing";

const at = (iso: string) => Date.parse(iso);
const isoList = (slots: number[]) => slots.map((ms) => new Date(ms).toISOString());

/** A timing that must be valid; the test fails with its problems otherwise. */
function timing(input: TimingInput): Timing {
  const result = validateTiming(input);
  if (!result.ok) throw new Error(`invalid timing: ${JSON.stringify(result.problems)}`);
  return result.timing;
}

function problems(input: TimingInput) {
  const result = validateTiming(input);
  return result.ok ? [] : result.problems;
}

describe("validateTiming", () => {
  it("accepts every named frequency, defaulting the zone to UTC", () => {
    for (const frequency of FREQUENCIES.filter((f) => f !== "cron" && f !== "every")) {
      expect(validateTiming({ frequency })).toEqual({ ok: true, timing: { frequency, timezone: "UTC" } });
    }
  });

  it("normalises the zone's spelling and the cron expression's whitespace", () => {
    expect(validateTiming({ frequency: "cron", cron: "  30  9 * *\t1-5 ", timezone: "europe/berlin" })).toEqual({
      ok: true,
      timing: { frequency: "cron", cron: "30 9 * * 1-5", timezone: "Europe/Berlin" },
    });
  });

  it("keeps a zone name that Intl would canonicalise to an older alias", () => {
    for (const timezone of ["Asia/Kolkata", "Europe/Kyiv", "Etc/UTC"]) {
      expect(validateTiming({ frequency: "daily", timezone })).toEqual({
        ok: true,
        timing: { frequency: "daily", timezone },
      });
    }
  });

  it("accepts a 6-field cron expression (seconds first) and every_s of 10 seconds", () => {
    expect(timing({ frequency: "cron", cron: "*/10 * * * * *" })).toEqual({
      frequency: "cron",
      cron: "*/10 * * * * *",
      timezone: "UTC",
    });
    expect(timing({ frequency: "every", every_s: 10, timezone: "Asia/Kolkata" })).toEqual({
      frequency: "every",
      every_s: 10,
      timezone: "Asia/Kolkata",
    });
  });

  it("refuses an unknown time zone and a bare UTC offset", () => {
    expect(problems({ frequency: "daily", timezone: "Mars/Olympus_Mons" })).toEqual([
      {
        path: "timezone",
        message: 'unknown time zone "Mars/Olympus_Mons"; expected an IANA name such as "Europe/Berlin" or "UTC"',
      },
    ]);
    expect(problems({ frequency: "daily", timezone: "+05:30" }).map((p) => p.path)).toEqual(["timezone"]);
  });

  it("refuses an unknown frequency, listing the known ones", () => {
    expect(problems({ frequency: "fortnightly" })).toEqual([
      {
        path: "frequency",
        message:
          'unknown frequency "fortnightly"; expected one of all, hourly, hourly_long, daily, daily_long, weekly, ' +
          "weekly_long, monthly, monthly_long, yearly, yearly_long, annual, annual_long, cron, every",
      },
    ]);
  });

  it("passes on croner's reason for a bad cron expression", () => {
    expect(problems({ frequency: "cron", cron: "61 * * * *" })).toEqual([
      { path: "cron", message: 'invalid cron expression "61 * * * *": Invalid value for minute: 61' },
    ]);
  });

  it("refuses cron expressions with the wrong number of fields, including nicknames", () => {
    expect(problems({ frequency: "cron", cron: "* * * *" })).toEqual([
      {
        path: "cron",
        message:
          'cron expression "* * * *" has 4 fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (second first)',
      },
    ]);
    expect(problems({ frequency: "cron", cron: "0 0 0 1 1 * 2030" }).map((p) => p.message)).toEqual([
      expect.stringContaining("has 7 fields"),
    ]);
    expect(problems({ frequency: "cron", cron: "@daily" }).map((p) => p.message)).toEqual([
      expect.stringContaining("has 1 field;"),
    ]);
  });

  it("refuses a cron expression that never matches a date", () => {
    expect(problems({ frequency: "cron", cron: "0 0 30 2 *" })).toEqual([
      { path: "cron", message: 'cron expression "0 0 30 2 *" never matches a date' },
    ]);
  });

  it("refuses a cron expression that runs more often than every 10 seconds", () => {
    expect(problems({ frequency: "cron", cron: "*/5 * * * * *" })).toEqual([
      {
        path: "cron",
        message: 'cron expression "*/5 * * * * *" runs more often than every 10 seconds (second 0 and 5 are 5 s apart)',
      },
    ]);
    // 55 → 0 of the next minute is 5 s too.
    expect(problems({ frequency: "cron", cron: "0,55 * * * * *" }).map((p) => p.message)).toEqual([
      expect.stringContaining("(second 55 and 0 are 5 s apart)"),
    ]);
  });

  it("refuses every_s below 10, fractional or missing", () => {
    for (const every_s of [9, 12.5, 0, -10]) {
      expect(problems({ frequency: "every", every_s })).toEqual([
        {
          path: "every_s",
          message: `every_s must be a whole number of seconds from 10 to 31622400 (366 days), not ${every_s}`,
        },
      ]);
    }
    expect(problems({ frequency: "every" })).toEqual([
      { path: "every_s", message: 'frequency "every" needs every_s, the seconds between runs' },
    ]);
  });

  it("refuses cron and every_s given with another frequency, and a missing cron", () => {
    expect(problems({ frequency: "daily", cron: "0 3 * * *", every_s: 60 })).toEqual([
      { path: "cron", message: 'a cron expression is only used with frequency "cron", not "daily"' },
      { path: "every_s", message: 'every_s is only used with frequency "every", not "daily"' },
    ]);
    expect(problems({ frequency: "cron", cron: "  " })).toEqual([
      { path: "cron", message: 'frequency "cron" needs a cron expression' },
    ]);
  });

  it("reports all problems at once", () => {
    expect(problems({ frequency: "every", every_s: 5, timezone: "Nowhere/Town" }).map((p) => p.path)).toEqual([
      "timezone",
      "every_s",
    ]);
  });
});

describe("named frequencies in UTC", () => {
  const utc = (frequency: TimingInput["frequency"]) => timing({ frequency });

  it("hourly runs at minute 0 of every hour, strictly after the reference", () => {
    expect(isoList(nextSlots(utc("hourly"), at("2026-05-01T10:00:00Z"), 2))).toEqual([
      "2026-05-01T11:00:00.000Z",
      "2026-05-01T12:00:00.000Z",
    ]);
  });

  it("daily runs at 00:00; a reference 1 ms before midnight gets that midnight", () => {
    expect(new Date(nextSlot(utc("daily"), at("2026-05-01T23:59:59.999Z")) ?? 0).toISOString()).toBe(
      "2026-05-02T00:00:00.000Z",
    );
    expect(new Date(nextSlot(utc("daily"), at("2026-05-02T00:00:00Z")) ?? 0).toISOString()).toBe(
      "2026-05-03T00:00:00.000Z",
    );
  });

  it("weekly runs on Sundays at 00:00", () => {
    // 2026-05-01 is a Friday.
    expect(isoList(nextSlots(utc("weekly"), at("2026-05-01T12:00:00Z"), 2))).toEqual([
      "2026-05-03T00:00:00.000Z",
      "2026-05-10T00:00:00.000Z",
    ]);
  });

  it("monthly runs on the 1st at 00:00, yearly and annual on 1 January", () => {
    expect(isoList(nextSlots(utc("monthly"), at("2026-01-15T00:00:00Z"), 2))).toEqual([
      "2026-02-01T00:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
    ]);
    for (const frequency of ["yearly", "annual", "yearly_long", "annual_long"]) {
      expect(isoList(nextSlots(utc(frequency), at("2026-01-01T00:00:00Z"), 2))).toEqual([
        "2027-01-01T00:00:00.000Z",
        "2028-01-01T00:00:00.000Z",
      ]);
    }
  });

  it("a _long frequency has the same slots as its plain one", () => {
    const from = at("2026-02-27T13:14:15Z");
    for (const base of ["hourly", "daily", "weekly", "monthly", "yearly", "annual"]) {
      expect(nextSlots(utc(`${base}_long`), from, 5)).toEqual(nextSlots(utc(base), from, 5));
    }
  });

  it("all runs every minute at second 0", () => {
    expect(isoList(nextSlots(utc("all"), at("2026-05-01T10:00:30Z"), 2))).toEqual([
      "2026-05-01T10:01:00.000Z",
      "2026-05-01T10:02:00.000Z",
    ]);
  });

  it("a 6-field cron expression runs at the given seconds", () => {
    const t = timing({ frequency: "cron", cron: "15,45 30 9 * * *" });
    expect(isoList(nextSlots(t, at("2026-05-01T00:00:00Z"), 3))).toEqual([
      "2026-05-01T09:30:15.000Z",
      "2026-05-01T09:30:45.000Z",
      "2026-05-02T09:30:15.000Z",
    ]);
  });
});

describe("named frequencies in Asia/Kolkata (+05:30, no DST)", () => {
  const kolkata = (frequency: string) => timing({ frequency, timezone: "Asia/Kolkata" });

  it("hourly runs at :30 UTC, daily at 18:30 UTC, monthly at 18:30 UTC on the last day before the 1st", () => {
    expect(isoList(nextSlots(kolkata("hourly"), at("2026-05-01T10:00:00Z"), 2))).toEqual([
      "2026-05-01T10:30:00.000Z",
      "2026-05-01T11:30:00.000Z",
    ]);
    expect(isoList(nextSlots(kolkata("daily"), at("2026-05-01T10:00:00Z"), 2))).toEqual([
      "2026-05-01T18:30:00.000Z",
      "2026-05-02T18:30:00.000Z",
    ]);
    expect(isoList(nextSlots(kolkata("monthly"), at("2026-05-01T10:00:00Z"), 2))).toEqual([
      "2026-05-31T18:30:00.000Z",
      "2026-06-30T18:30:00.000Z",
    ]);
  });

  it("weekly runs at Sunday 00:00 local, which is Saturday 18:30 UTC", () => {
    expect(isoList(nextSlots(kolkata("weekly"), at("2026-05-01T00:00:00Z"), 1))).toEqual(["2026-05-02T18:30:00.000Z"]);
  });

  it("a weekday cron runs at local 09:30 = 04:00 UTC, skipping the weekend", () => {
    const t = timing({ frequency: "cron", cron: "30 9 * * 1-5", timezone: "Asia/Kolkata" });
    // 2026-05-01 is a Friday.
    expect(isoList(nextSlots(t, at("2026-05-01T05:00:00Z"), 2))).toEqual([
      "2026-05-04T04:00:00.000Z",
      "2026-05-05T04:00:00.000Z",
    ]);
  });
});

describe("every N seconds", () => {
  it("slots are epoch-aligned multiples of N by default", () => {
    const t = timing({ frequency: "every", every_s: 45 });
    // 2026-05-01T00:00:00Z is 1_777_593_600 s after the epoch, a multiple of 45.
    expect(isoList(nextSlots(t, at("2026-05-01T00:00:00Z"), 3))).toEqual([
      "2026-05-01T00:00:45.000Z",
      "2026-05-01T00:01:30.000Z",
      "2026-05-01T00:02:15.000Z",
    ]);
  });

  it("slots follow the anchor, before and after it", () => {
    const t = timing({ frequency: "every", every_s: 10 });
    const anchorMs = at("2026-05-01T12:00:03.250Z");
    expect(isoList(nextSlots(t, at("2026-05-01T12:00:00Z"), 2, { anchorMs }))).toEqual([
      "2026-05-01T12:00:03.250Z",
      "2026-05-01T12:00:13.250Z",
    ]);
    expect(new Date(nextSlot(t, anchorMs, { anchorMs }) ?? 0).toISOString()).toBe("2026-05-01T12:00:13.250Z");
    expect(new Date(previousSlot(t, at("2026-05-01T11:59:59Z"), { anchorMs }) ?? 0).toISOString()).toBe(
      "2026-05-01T11:59:53.250Z",
    );
  });
});

describe("slot ranges and bounds", () => {
  const hourly = timing({ frequency: "hourly" });

  it("slotsBetween excludes the start, includes the end and stops at the limit", () => {
    expect(isoList(slotsBetween(hourly, at("2026-05-01T10:00:00Z"), at("2026-05-01T13:00:00Z"), 10))).toEqual([
      "2026-05-01T11:00:00.000Z",
      "2026-05-01T12:00:00.000Z",
      "2026-05-01T13:00:00.000Z",
    ]);
    expect(isoList(slotsBetween(hourly, at("2026-05-01T10:00:00Z"), at("2026-05-01T13:00:00Z"), 2))).toEqual([
      "2026-05-01T11:00:00.000Z",
      "2026-05-01T12:00:00.000Z",
    ]);
  });

  it("previousSlot includes a slot exactly at the reference", () => {
    expect(new Date(previousSlot(hourly, at("2026-05-01T10:00:00Z")) ?? 0).toISOString()).toBe(
      "2026-05-01T10:00:00.000Z",
    );
    expect(new Date(previousSlot(hourly, at("2026-05-01T09:59:59.999Z")) ?? 0).toISOString()).toBe(
      "2026-05-01T09:00:00.000Z",
    );
  });

  it("start_at and end_at are inclusive bounds; past end_at there is no next slot", () => {
    const bounds = { startAtMs: at("2026-05-01T12:00:00Z"), endAtMs: at("2026-05-01T14:00:00Z") };
    expect(isoList(nextSlots(hourly, at("2026-05-01T00:00:00Z"), 10, bounds))).toEqual([
      "2026-05-01T12:00:00.000Z",
      "2026-05-01T13:00:00.000Z",
      "2026-05-01T14:00:00.000Z",
    ]);
    expect(nextSlot(hourly, at("2026-05-01T14:00:00Z"), bounds)).toBeNull();
    expect(previousSlot(hourly, at("2026-05-01T11:59:00Z"), bounds)).toBeNull();
    expect(new Date(previousSlot(hourly, at("2026-05-02T00:00:00Z"), bounds) ?? 0).toISOString()).toBe(
      "2026-05-01T14:00:00.000Z",
    );
  });

  it("counts interval slots exactly whatever the budget, and cron slots up to the budget", () => {
    const from = at("2026-05-01T00:00:00Z");
    const to = at("2026-05-31T00:00:00Z");
    expect(slotSequence(timing({ frequency: "all" })).count(from, to, 5)).toEqual({ count: 43_200, exact: true });
    expect(slotSequence(hourly).count(from, to, 10_000)).toEqual({ count: 720, exact: true });
    expect(slotSequence(hourly).count(from, to, 100)).toEqual({ count: 100, exact: false });
    expect(slotSequence(hourly).count(from, at("2026-05-01T05:00:00Z"), 5)).toEqual({ count: 5, exact: true });
  });
});
