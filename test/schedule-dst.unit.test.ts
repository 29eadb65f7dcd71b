// The DST rule across real 2026/2027 transitions. Expected slots are local ISO strings with the
// offset in force; `local` checks that each string denotes exactly the slot's instant.
import { describe, expect, it } from "vitest";
import { isoInZone } from "../src/schedules/describe";
import {
  nextSlots,
  previousSlot,
  slotSequence,
  slotsBetween,
  validateTiming,
  type Timing,
  type TimingInput,
} from "../src/schedules/timing";

const at = (iso: string) => Date.parse(iso);

function timing(input: TimingInput): Timing {
  const result = validateTiming(input);
  if (!result.ok) throw new Error(`invalid timing: ${JSON.stringify(result.problems)}`);
  return result.timing;
}

const cron = (expression: string, timezone: string) => timing({ frequency: "cron", cron: expression, timezone });

/** The next `count` slots after `fromIso` as local ISO strings in the timing's zone. */
function next(t: Timing, fromIso: string, count: number): string[] {
  return nextSlots(t, at(fromIso), count).map((ms) => {
    const text = isoInZone(ms, t.timezone);
    expect(Date.parse(text)).toBe(ms);
    return text;
  });
}

const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";
const LORD_HOWE = "Australia/Lord_Howe";

describe("the zone data has the transitions these tests rely on", () => {
  it.each([
    // EU: last Sunday of March / October at 01:00 UTC.
    [BERLIN, "2026-03-29T01:00:00Z", "2026-03-29T01:59:59+01:00", "2026-03-29T03:00:00+02:00"],
    [BERLIN, "2026-10-25T01:00:00Z", "2026-10-25T02:59:59+02:00", "2026-10-25T02:00:00+01:00"],
    [BERLIN, "2027-03-28T01:00:00Z", "2027-03-28T01:59:59+01:00", "2027-03-28T03:00:00+02:00"],
    [BERLIN, "2027-10-31T01:00:00Z", "2027-10-31T02:59:59+02:00", "2027-10-31T02:00:00+01:00"],
    // US: second Sunday of March / first Sunday of November at 02:00 local.
    [NEW_YORK, "2026-03-08T07:00:00Z", "2026-03-08T01:59:59-05:00", "2026-03-08T03:00:00-04:00"],
    [NEW_YORK, "2026-11-01T06:00:00Z", "2026-11-01T01:59:59-04:00", "2026-11-01T01:00:00-05:00"],
    [NEW_YORK, "2027-03-14T07:00:00Z", "2027-03-14T01:59:59-05:00", "2027-03-14T03:00:00-04:00"],
    [NEW_YORK, "2027-11-07T06:00:00Z", "2027-11-07T01:59:59-04:00", "2027-11-07T01:00:00-05:00"],
    // Lord Howe: first Sunday of April (02:00 → 01:30) / October (02:00 → 02:30).
    [LORD_HOWE, "2026-04-04T15:00:00Z", "2026-04-05T01:59:59+11:00", "2026-04-05T01:30:00+10:30"],
    [LORD_HOWE, "2026-10-03T15:30:00Z", "2026-10-04T01:59:59+10:30", "2026-10-04T02:30:00+11:00"],
    [LORD_HOWE, "2027-04-03T15:00:00Z", "2027-04-04T01:59:59+11:00", "2027-04-04T01:30:00+10:30"],
    [LORD_HOWE, "2027-10-02T15:30:00Z", "2027-10-03T01:59:59+10:30", "2027-10-03T02:30:00+11:00"],
  ])("%s changes at %s", (zone, instant, before, after) => {
    expect(isoInZone(at(instant) - 1000, zone)).toBe(before);
    expect(isoInZone(at(instant), zone)).toBe(after);
  });
});

describe("a local time skipped by the spring change runs once, at the first instant after the gap", () => {
  it("a 02:30 daily job in Berlin runs at 03:00 CEST (01:00 UTC) on the spring-forward day", () => {
    expect(next(cron("30 2 * * *", BERLIN), "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T03:00:00+02:00",
      "2026-03-30T02:30:00+02:00",
      "2026-03-31T02:30:00+02:00",
    ]);
  });

  it("a 02:30 daily job in New York runs at 03:00 EDT on the spring-forward day", () => {
    expect(next(cron("30 2 * * *", NEW_YORK), "2026-03-07T12:00:00Z", 2)).toEqual([
      "2026-03-08T03:00:00-04:00",
      "2026-03-09T02:30:00-04:00",
    ]);
  });

  it("a 02:15 daily job on Lord Howe runs at 02:30 (+11:00) when the clock jumps half an hour", () => {
    expect(next(cron("15 2 * * *", LORD_HOWE), "2026-10-03T00:00:00Z", 2)).toEqual([
      "2026-10-04T02:30:00+11:00",
      "2026-10-05T02:15:00+11:00",
    ]);
  });

  it("the rule holds on the 2027 spring-forward days", () => {
    expect(next(cron("30 2 * * *", BERLIN), "2027-03-27T12:00:00Z", 1)).toEqual(["2027-03-28T03:00:00+02:00"]);
    expect(next(cron("30 2 * * *", NEW_YORK), "2027-03-13T12:00:00Z", 1)).toEqual(["2027-03-14T03:00:00-04:00"]);
    expect(next(cron("15 2 * * *", LORD_HOWE), "2027-10-02T00:00:00Z", 1)).toEqual(["2027-10-03T02:30:00+11:00"]);
  });

  it("weekly and monthly jobs at a skipped time run at the end of the gap", () => {
    // 2026-03-29 and 2026-03-08 are Sundays; 2026-10-04 is a Sunday and the 4th.
    expect(next(cron("30 2 * * 0", BERLIN), "2026-03-27T00:00:00Z", 2)).toEqual([
      "2026-03-29T03:00:00+02:00",
      "2026-04-05T02:30:00+02:00",
    ]);
    expect(next(cron("0 2 8 * *", NEW_YORK), "2026-03-01T00:00:00Z", 2)).toEqual([
      "2026-03-08T03:00:00-04:00",
      "2026-04-08T02:00:00-04:00",
    ]);
    expect(next(cron("15 2 4 * *", LORD_HOWE), "2026-09-20T00:00:00Z", 2)).toEqual([
      "2026-10-04T02:30:00+11:00",
      "2026-11-04T02:15:00+11:00",
    ]);
  });

  it("several skipped times of a fixed-hour job collapse into one run at the end of the gap", () => {
    // Hour 2 is not a wildcard, so the minute step does not make it follow real time.
    expect(next(cron("*/15 2 * * *", BERLIN), "2026-03-28T12:00:00Z", 2)).toEqual([
      "2026-03-29T03:00:00+02:00",
      "2026-03-30T02:00:00+02:00",
    ]);
    // 02:00 moves to 03:00, where the 03:00 run already is: one slot, one task.
    expect(next(cron("0 2,3 * * *", BERLIN), "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T03:00:00+02:00",
      "2026-03-30T02:00:00+02:00",
      "2026-03-30T03:00:00+02:00",
    ]);
    expect(next(cron("0,10,20,30,40 2 * * *", LORD_HOWE), "2026-10-03T12:00:00Z", 4)).toEqual([
      "2026-10-04T02:30:00+11:00",
      "2026-10-04T02:40:00+11:00",
      "2026-10-05T02:00:00+11:00",
      "2026-10-05T02:10:00+11:00",
    ]);
  });
});

describe("a local time repeated by the autumn change runs once, at its first occurrence", () => {
  it("a 02:30 daily job in Berlin runs at 02:30 CEST (00:30 UTC) only, not again at 02:30 CET", () => {
    expect(next(cron("30 2 * * *", BERLIN), "2026-10-24T12:00:00Z", 2)).toEqual([
      "2026-10-25T02:30:00+02:00",
      "2026-10-26T02:30:00+01:00",
    ]);
  });

  it("asked during the repeated hour, after the first 02:30, the next run is the following day", () => {
    expect(next(cron("30 2 * * *", BERLIN), "2026-10-25T00:30:00.001Z", 1)).toEqual(["2026-10-26T02:30:00+01:00"]);
    expect(next(cron("30 2 * * *", BERLIN), "2026-10-25T01:10:00Z", 1)).toEqual(["2026-10-26T02:30:00+01:00"]);
  });

  it("a 01:30 daily job in New York runs at 01:30 EDT only", () => {
    expect(next(cron("30 1 * * *", NEW_YORK), "2026-10-31T12:00:00Z", 2)).toEqual([
      "2026-11-01T01:30:00-04:00",
      "2026-11-02T01:30:00-05:00",
    ]);
    expect(next(cron("30 1 * * *", NEW_YORK), "2027-11-06T12:00:00Z", 2)).toEqual([
      "2027-11-07T01:30:00-04:00",
      "2027-11-08T01:30:00-05:00",
    ]);
  });

  it("a 01:45 daily job on Lord Howe runs at 01:45 (+11:00) only when the clock goes back half an hour", () => {
    expect(next(cron("45 1 * * *", LORD_HOWE), "2026-04-04T00:00:00Z", 2)).toEqual([
      "2026-04-05T01:45:00+11:00",
      "2026-04-06T01:45:00+10:30",
    ]);
    expect(next(cron("45 1 * * *", LORD_HOWE), "2027-04-03T00:00:00Z", 1)).toEqual(["2027-04-04T01:45:00+11:00"]);
  });

  it("weekly and monthly jobs at a repeated time run once", () => {
    expect(next(cron("30 2 * * 0", BERLIN), "2026-10-23T00:00:00Z", 2)).toEqual([
      "2026-10-25T02:30:00+02:00",
      "2026-11-01T02:30:00+01:00",
    ]);
    expect(next(cron("30 1 1 * *", NEW_YORK), "2026-10-15T00:00:00Z", 2)).toEqual([
      "2026-11-01T01:30:00-04:00",
      "2026-12-01T01:30:00-05:00",
    ]);
    expect(next(cron("45 1 5 * *", LORD_HOWE), "2026-03-20T00:00:00Z", 2)).toEqual([
      "2026-04-05T01:45:00+11:00",
      "2026-05-05T01:45:00+10:30",
    ]);
  });

  it("a fixed-hour job with a minute step runs the repeated hour once", () => {
    expect(next(cron("*/15 2 * * *", BERLIN), "2026-10-24T12:00:00Z", 5)).toEqual([
      "2026-10-25T02:00:00+02:00",
      "2026-10-25T02:15:00+02:00",
      "2026-10-25T02:30:00+02:00",
      "2026-10-25T02:45:00+02:00",
      "2026-10-26T02:00:00+01:00",
    ]);
  });
});

describe("named frequencies at midnight keep their local time across the change", () => {
  it("daily, weekly and monthly stay at local 00:00 while the offset changes", () => {
    expect(next(timing({ frequency: "daily", timezone: BERLIN }), "2026-03-27T12:00:00Z", 3)).toEqual([
      "2026-03-28T00:00:00+01:00",
      "2026-03-29T00:00:00+01:00",
      "2026-03-30T00:00:00+02:00",
    ]);
    expect(next(timing({ frequency: "weekly", timezone: BERLIN }), "2026-03-20T00:00:00Z", 3)).toEqual([
      "2026-03-22T00:00:00+01:00",
      "2026-03-29T00:00:00+01:00",
      "2026-04-05T00:00:00+02:00",
    ]);
    expect(next(timing({ frequency: "monthly", timezone: NEW_YORK }), "2026-10-15T00:00:00Z", 2)).toEqual([
      "2026-11-01T00:00:00-04:00",
      "2026-12-01T00:00:00-05:00",
    ]);
    expect(next(timing({ frequency: "monthly_long", timezone: LORD_HOWE }), "2026-09-15T00:00:00Z", 2)).toEqual([
      "2026-10-01T00:00:00+10:30",
      "2026-11-01T00:00:00+11:00",
    ]);
  });
});

describe("schedules with a wildcard hour follow real time", () => {
  it("hourly in Berlin runs at 02:00 CEST and again at 02:00 CET, one real hour apart", () => {
    expect(next(timing({ frequency: "hourly", timezone: BERLIN }), "2026-10-24T22:30:00Z", 4)).toEqual([
      "2026-10-25T01:00:00+02:00",
      "2026-10-25T02:00:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T03:00:00+01:00",
    ]);
  });

  it("hourly in Berlin has no 02:00 run on the spring-forward day and stays one real hour apart", () => {
    expect(next(timing({ frequency: "hourly", timezone: BERLIN }), "2026-03-28T23:30:00Z", 3)).toEqual([
      "2026-03-29T01:00:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T04:00:00+02:00",
    ]);
  });

  it("hourly in New York runs at 01:00 EDT and 01:00 EST, and skips 02:00 in March", () => {
    expect(next(timing({ frequency: "hourly_long", timezone: NEW_YORK }), "2026-11-01T03:30:00Z", 4)).toEqual([
      "2026-11-01T00:00:00-04:00",
      "2026-11-01T01:00:00-04:00",
      "2026-11-01T01:00:00-05:00",
      "2026-11-01T02:00:00-05:00",
    ]);
    expect(next(timing({ frequency: "hourly", timezone: NEW_YORK }), "2026-03-08T05:30:00Z", 3)).toEqual([
      "2026-03-08T01:00:00-05:00",
      "2026-03-08T03:00:00-04:00",
      "2026-03-08T04:00:00-04:00",
    ]);
  });

  it("hourly on Lord Howe is 90 real minutes from 01:00 to the next whole hour on both change days", () => {
    // April: 01:30-01:59 repeats, so 02:00 (+10:30) comes 90 minutes after 01:00 (+11:00).
    expect(next(timing({ frequency: "hourly", timezone: LORD_HOWE }), "2026-04-04T13:30:00Z", 3)).toEqual([
      "2026-04-05T01:00:00+11:00",
      "2026-04-05T02:00:00+10:30",
      "2026-04-05T03:00:00+10:30",
    ]);
    // October: 02:00-02:29 does not exist, so there is no 02:00 run.
    expect(next(timing({ frequency: "hourly", timezone: LORD_HOWE }), "2026-10-03T13:00:00Z", 3)).toEqual([
      "2026-10-04T00:00:00+10:30",
      "2026-10-04T01:00:00+10:30",
      "2026-10-04T03:00:00+11:00",
    ]);
  });

  it("a */15 cron runs in both passes of the repeated time", () => {
    expect(next(cron("*/15 * * * *", BERLIN), "2026-10-25T00:40:00Z", 6)).toEqual([
      "2026-10-25T02:45:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T02:15:00+01:00",
      "2026-10-25T02:30:00+01:00",
      "2026-10-25T02:45:00+01:00",
      "2026-10-25T03:00:00+01:00",
    ]);
    expect(next(cron("*/15 * * * *", LORD_HOWE), "2026-04-04T14:20:00Z", 5)).toEqual([
      "2026-04-05T01:30:00+11:00",
      "2026-04-05T01:45:00+11:00",
      "2026-04-05T01:30:00+10:30",
      "2026-04-05T01:45:00+10:30",
      "2026-04-05T02:00:00+10:30",
    ]);
  });

  it("a */15 cron never makes up the skipped hour", () => {
    expect(next(cron("*/15 * * * *", BERLIN), "2026-03-29T00:40:00Z", 3)).toEqual([
      "2026-03-29T01:45:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T03:15:00+02:00",
    ]);
  });

  it("a cron at minute 5 of every hour runs at 02:05 twice in the repeated hour", () => {
    expect(next(cron("5 * * * *", BERLIN), "2026-10-25T00:00:00Z", 3)).toEqual([
      "2026-10-25T02:05:00+02:00",
      "2026-10-25T02:05:00+01:00",
      "2026-10-25T03:05:00+01:00",
    ]);
  });

  it("every minute runs each real minute through both changes", () => {
    const all = (timezone: string) => timing({ frequency: "all", timezone });
    expect(next(all(BERLIN), "2026-10-25T00:58:30Z", 3)).toEqual([
      "2026-10-25T02:59:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T02:01:00+01:00",
    ]);
    expect(next(all(NEW_YORK), "2026-03-08T06:58:30Z", 2)).toEqual([
      "2026-03-08T01:59:00-05:00",
      "2026-03-08T03:00:00-04:00",
    ]);
    expect(next(all(LORD_HOWE), "2026-04-04T14:58:30Z", 2)).toEqual([
      "2026-04-05T01:59:00+11:00",
      "2026-04-05T01:30:00+10:30",
    ]);
    expect(slotsBetween(all(LORD_HOWE), at("2026-04-04T14:00:00Z"), at("2026-04-04T16:00:00Z"), 1000)).toHaveLength(
      120,
    );
  });

  it("every N seconds stays N real seconds apart across the changes", () => {
    const every = (every_s: number, timezone: string) => timing({ frequency: "every", every_s, timezone });
    expect(next(every(3600, BERLIN), "2026-03-28T23:30:00Z", 3)).toEqual([
      "2026-03-29T01:00:00+01:00",
      "2026-03-29T03:00:00+02:00",
      "2026-03-29T04:00:00+02:00",
    ]);
    expect(next(every(10, NEW_YORK), "2026-03-08T06:59:45Z", 3)).toEqual([
      "2026-03-08T01:59:50-05:00",
      "2026-03-08T03:00:00-04:00",
      "2026-03-08T03:00:10-04:00",
    ]);
    expect(next(every(600, LORD_HOWE), "2026-04-04T14:45:00Z", 3)).toEqual([
      "2026-04-05T01:50:00+11:00",
      "2026-04-05T01:30:00+10:30",
      "2026-04-05T01:40:00+10:30",
    ]);
  });
});

describe("zones without DST", () => {
  it("a 02:30 daily job in Asia/Kolkata runs at 21:00 UTC on the days other zones change", () => {
    expect(next(cron("30 2 * * *", "Asia/Kolkata"), "2026-03-28T00:00:00Z", 3)).toEqual([
      "2026-03-29T02:30:00+05:30",
      "2026-03-30T02:30:00+05:30",
      "2026-03-31T02:30:00+05:30",
    ]);
    expect(nextSlots(cron("30 2 * * *", "Asia/Kolkata"), at("2026-10-24T00:00:00Z"), 2)).toEqual([
      at("2026-10-24T21:00:00Z"),
      at("2026-10-25T21:00:00Z"),
    ]);
  });

  it("a 02:30 daily job in UTC runs at 02:30 UTC on the EU change day", () => {
    expect(next(cron("30 2 * * *", "UTC"), "2026-03-28T12:00:00Z", 2)).toEqual([
      "2026-03-29T02:30:00+00:00",
      "2026-03-30T02:30:00+00:00",
    ]);
  });
});

describe("stepping backwards agrees with stepping forwards", () => {
  const windows = [
    [BERLIN, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z"],
    [BERLIN, "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"],
    [NEW_YORK, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z"],
    [NEW_YORK, "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z"],
    [LORD_HOWE, "2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z"],
    [LORD_HOWE, "2026-10-03T00:00:00Z", "2026-10-05T00:00:00Z"],
  ] as const;
  const patterns = ["30 2 * * *", "45 1 * * *", "*/15 2 * * *", "0 2,3 * * *", "0 * * * *", "*/20 * * * *"];

  it.each(windows)("in %s from %s, previousSlot walks back over exactly the forward slots", (zone, from, to) => {
    for (const pattern of patterns) {
      const t = cron(pattern, zone);
      const forward = slotsBetween(t, at(from), at(to), 1000);
      const backward: number[] = [];
      for (let slot = previousSlot(t, at(to)); slot !== null && slot > at(from); slot = previousSlot(t, slot - 1)) {
        backward.unshift(slot);
      }
      expect(backward, pattern).toEqual(forward);
      expect(slotSequence(t).count(at(from), at(to), 1000), pattern).toEqual({ count: forward.length, exact: true });
    }
  });
});
