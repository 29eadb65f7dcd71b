import { describe, expect, it } from "vitest";
import { jitterMs, planCatchUp, type CatchUpInput, type CatchUpPlan } from "../src/schedules/catch-up";
import { MISSED_POLICIES } from "../src/shared/schedule-sets";
import { isoInZone } from "../src/schedules/describe";
import { slotsBetween, validateTiming, type Timing, type TimingInput } from "../src/schedules/timing";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function timing(input: TimingInput): Timing {
  const result = validateTiming(input);
  if (!result.ok) throw new Error(`invalid timing: ${JSON.stringify(result.problems)}`);
  return result.timing;
}

const HOURLY = timing({ frequency: "hourly" });

/** A plan with its instants as UTC ISO strings, for readable expectations. */
function plan(input: Partial<CatchUpInput> & Pick<CatchUpInput, "nowMs" | "missed">) {
  const result: CatchUpPlan = planCatchUp({ timing: HOURLY, lastSlotMs: null, activeSinceMs: 0, ...input });
  return {
    run: result.run.map(iso),
    missed: result.missed,
    missedExact: result.missedExact,
    lastSlot: iso(result.lastSlotMs),
    next: iso(result.nextSlotMs),
  };
}

describe("a brand-new schedule", () => {
  it("never back-fills: slots before it was created are neither run nor counted", () => {
    for (const missed of MISSED_POLICIES) {
      expect(plan({ activeSinceMs: at("2026-05-01T10:20:00Z"), nowMs: at("2026-05-01T10:20:00Z"), missed })).toEqual({
        run: [],
        missed: 0,
        missedExact: true,
        lastSlot: null,
        next: "2026-05-01T11:00:00.000Z",
      });
    }
  });

  it("created just before a slot runs that slot when the alarm fires", () => {
    for (const missed of MISSED_POLICIES) {
      expect(
        plan({ activeSinceMs: at("2026-05-01T09:59:30Z"), nowMs: at("2026-05-01T10:00:00.050Z"), missed }),
      ).toEqual({
        run: ["2026-05-01T10:00:00.000Z"],
        missed: 0,
        missedExact: true,
        lastSlot: "2026-05-01T10:00:00.000Z",
        next: "2026-05-01T11:00:00.000Z",
      });
    }
  });

  it("counts slots after its creation that the engine missed", () => {
    expect(
      plan({ activeSinceMs: at("2026-05-01T10:20:00Z"), nowMs: at("2026-05-01T12:00:30Z"), missed: "skip" }),
    ).toMatchObject({ run: ["2026-05-01T12:00:00.000Z"], missed: 1 });
  });
});

describe("on-time slots", () => {
  it("the due slot runs under every policy when the alarm is a little late", () => {
    for (const missed of MISSED_POLICIES) {
      expect(plan({ lastSlotMs: at("2026-05-01T09:00:00Z"), nowMs: at("2026-05-01T10:00:02Z"), missed })).toEqual({
        run: ["2026-05-01T10:00:00.000Z"],
        missed: 0,
        missedExact: true,
        lastSlot: "2026-05-01T10:00:00.000Z",
        next: "2026-05-01T11:00:00.000Z",
      });
    }
  });

  it("planning again with the returned lastSlotMs runs nothing twice", () => {
    const first = planCatchUp({
      timing: HOURLY,
      lastSlotMs: at("2026-05-01T09:00:00Z"),
      activeSinceMs: 0,
      nowMs: at("2026-05-01T10:00:02Z"),
      missed: "all",
    });
    const again = planCatchUp({
      timing: HOURLY,
      lastSlotMs: first.lastSlotMs,
      activeSinceMs: 0,
      nowMs: at("2026-05-01T10:00:03Z"),
      missed: "all",
    });
    expect(again).toEqual({ ...first, run: [], missed: 0 });
  });
});

describe("after a 3.5 hour outage of an hourly schedule", () => {
  const outage = { lastSlotMs: at("2026-05-01T07:00:00Z"), nowMs: at("2026-05-01T10:30:00Z") };

  it("skip runs nothing and counts the three missed slots", () => {
    expect(plan({ ...outage, missed: "skip" })).toEqual({
      run: [],
      missed: 3,
      missedExact: true,
      lastSlot: "2026-05-01T10:00:00.000Z",
      next: "2026-05-01T11:00:00.000Z",
    });
  });

  it("once runs the most recent missed slot and counts the other two", () => {
    expect(plan({ ...outage, missed: "once" })).toMatchObject({ run: ["2026-05-01T10:00:00.000Z"], missed: 2 });
  });

  it("all runs every missed slot", () => {
    expect(plan({ ...outage, missed: "all" })).toMatchObject({
      run: ["2026-05-01T08:00:00.000Z", "2026-05-01T09:00:00.000Z", "2026-05-01T10:00:00.000Z"],
      missed: 0,
    });
  });

  it("when the engine is back within the grace period of a slot, that slot runs on time under skip", () => {
    expect(plan({ ...outage, nowMs: at("2026-05-01T10:04:59Z"), missed: "skip" })).toMatchObject({
      run: ["2026-05-01T10:00:00.000Z"],
      missed: 2,
    });
    expect(plan({ ...outage, nowMs: at("2026-05-01T10:05:01Z"), missed: "skip" })).toMatchObject({
      run: [],
      missed: 3,
    });
  });
});

describe("the catch-up window and cap", () => {
  const twoDays = { lastSlotMs: at("2026-04-29T10:00:00Z"), nowMs: at("2026-05-01T10:30:00Z") };

  it("all runs only the slots within the window and counts the older ones", () => {
    const result = plan({ ...twoDays, missed: "all" });
    expect(result.run).toHaveLength(24);
    expect([result.run[0], result.run[23]]).toEqual(["2026-04-30T11:00:00.000Z", "2026-05-01T10:00:00.000Z"]);
    expect(result.missed).toBe(24);
  });

  it("once and skip count everything they do not run", () => {
    expect(plan({ ...twoDays, missed: "once" })).toMatchObject({ run: ["2026-05-01T10:00:00.000Z"], missed: 47 });
    expect(plan({ ...twoDays, missed: "skip" })).toMatchObject({ run: [], missed: 48 });
  });

  it("a slot exactly one window old still runs; one older is counted", () => {
    expect(
      plan({
        lastSlotMs: at("2026-05-01T06:00:00Z"),
        nowMs: at("2026-05-01T10:00:00Z"),
        windowMs: 2 * 3_600_000,
        missed: "all",
      }),
    ).toMatchObject({
      run: ["2026-05-01T08:00:00.000Z", "2026-05-01T09:00:00.000Z", "2026-05-01T10:00:00.000Z"],
      missed: 1,
    });
  });

  it("once runs nothing when even the latest missed slot is older than the window", () => {
    expect(
      plan({
        timing: timing({ frequency: "daily" }),
        lastSlotMs: at("2026-04-28T00:00:00Z"),
        nowMs: at("2026-05-01T10:00:00Z"),
        windowMs: 3_600_000,
        missed: "once",
      }),
    ).toMatchObject({ run: [], missed: 3, lastSlot: "2026-05-01T00:00:00.000Z" });
  });

  it("all runs at most cap slots, the most recent ones, and counts the rest", () => {
    const result = plan({
      timing: timing({ frequency: "all" }),
      lastSlotMs: at("2026-05-01T07:00:00Z"),
      nowMs: at("2026-05-01T10:00:10Z"),
      missed: "all",
    });
    expect(result.run).toHaveLength(100);
    expect([result.run[0], result.run[99]]).toEqual(["2026-05-01T08:21:00.000Z", "2026-05-01T10:00:00.000Z"]);
    expect(result.missed).toBe(80);
    expect(
      plan({ lastSlotMs: at("2026-05-01T07:00:00Z"), nowMs: at("2026-05-01T10:30:00Z"), missed: "all", cap: 2 }),
    ).toMatchObject({ run: ["2026-05-01T09:00:00.000Z", "2026-05-01T10:00:00.000Z"], missed: 1 });
  });
});

describe("start_at, end_at and restarts", () => {
  it("slots before start_at are neither run nor counted", () => {
    const bounds = { activeSinceMs: at("2026-05-01T00:00:00Z"), startAtMs: at("2026-05-01T09:30:00Z") };
    expect(plan({ ...bounds, nowMs: at("2026-05-01T12:00:10Z"), missed: "all" })).toMatchObject({
      run: ["2026-05-01T10:00:00.000Z", "2026-05-01T11:00:00.000Z", "2026-05-01T12:00:00.000Z"],
      missed: 0,
    });
    expect(plan({ ...bounds, nowMs: at("2026-05-01T09:00:10Z"), missed: "all" })).toEqual({
      run: [],
      missed: 0,
      missedExact: true,
      lastSlot: null,
      next: "2026-05-01T10:00:00.000Z",
    });
  });

  it("the slot at end_at is the last one; afterwards nothing is due and there is no next slot", () => {
    const endAtMs = at("2026-05-01T11:00:00Z");
    expect(
      plan({ lastSlotMs: at("2026-05-01T10:00:00Z"), nowMs: at("2026-05-01T11:00:05Z"), endAtMs, missed: "all" }),
    ).toMatchObject({ run: ["2026-05-01T11:00:00.000Z"], missed: 0, next: null });
    expect(
      plan({ lastSlotMs: at("2026-05-01T11:00:00Z"), nowMs: at("2026-05-01T15:00:00Z"), endAtMs, missed: "all" }),
    ).toEqual({ run: [], missed: 0, missedExact: true, lastSlot: "2026-05-01T11:00:00.000Z", next: null });
  });

  it("a schedule started again after a stop does not count the stopped time as missed", () => {
    expect(
      plan({
        lastSlotMs: at("2026-04-20T10:00:00Z"),
        activeSinceMs: at("2026-05-01T09:45:00Z"),
        nowMs: at("2026-05-01T10:00:01Z"),
        missed: "skip",
      }),
    ).toMatchObject({ run: ["2026-05-01T10:00:00.000Z"], missed: 0 });
  });

  it("every-N slots keep their anchor through catch-up", () => {
    expect(
      plan({
        timing: timing({ frequency: "every", every_s: 900 }),
        anchorMs: at("2026-05-01T00:05:00Z"),
        lastSlotMs: at("2026-05-01T09:50:00Z"),
        nowMs: at("2026-05-01T10:36:00Z"),
        missed: "all",
      }),
    ).toMatchObject({
      run: ["2026-05-01T10:05:00.000Z", "2026-05-01T10:20:00.000Z", "2026-05-01T10:35:00.000Z"],
      missed: 0,
      next: "2026-05-01T10:50:00.000Z",
    });
  });
});

describe("counting missed slots", () => {
  it("a month of every-minute slots is counted exactly", () => {
    expect(
      plan({
        timing: timing({ frequency: "all" }),
        lastSlotMs: at("2026-04-01T00:00:00Z"),
        nowMs: at("2026-05-01T00:00:00Z"),
        missed: "skip",
      }),
    ).toMatchObject({ run: ["2026-05-01T00:00:00.000Z"], missed: 43_199, missedExact: true });
  });

  it("beyond 10,000 cron slots the count is a lower bound and says so", () => {
    expect(
      plan({
        timing: timing({ frequency: "cron", cron: "* * * * *" }),
        lastSlotMs: at("2026-04-01T00:00:00Z"),
        nowMs: at("2026-05-01T00:00:00Z"),
        missed: "skip",
      }),
    ).toMatchObject({ run: ["2026-05-01T00:00:00.000Z"], missed: 9_999, missedExact: false });
  });

  it("every due slot is either run or counted, whatever the policy, window and cap", () => {
    const timings = [
      HOURLY,
      timing({ frequency: "cron", cron: "*/20 * * * *", timezone: "Europe/Berlin" }),
      timing({ frequency: "every", every_s: 600 }),
    ];
    const lastSlotMs = at("2026-10-24T13:07:00Z");
    for (const t of timings) {
      for (const missed of MISSED_POLICIES) {
        for (const [nowIso, windowMs, cap] of [
          ["2026-10-24T13:07:00Z", undefined, undefined],
          ["2026-10-25T02:11:00Z", 6 * 3_600_000, 5],
          ["2026-10-26T09:00:30Z", undefined, 1000],
          ["2026-10-26T09:00:30Z", 600_000, 0],
        ] as const) {
          const nowMs = at(nowIso);
          const result = planCatchUp({ timing: t, lastSlotMs, activeSinceMs: 0, nowMs, missed, windowMs, cap });
          const due = slotsBetween(t, lastSlotMs, nowMs, 10_000);
          expect(result.run.length + result.missed, `${missed} ${nowIso}`).toBe(due.length);
          expect(result.run.every((slot) => due.includes(slot))).toBe(true);
          expect(result.lastSlotMs).toBe(due.at(-1) ?? lastSlotMs);
        }
      }
    }
  });
});

describe("catch-up across a DST change", () => {
  it("an hourly schedule in Berlin catches up five real hours through the repeated hour", () => {
    const result = planCatchUp({
      timing: timing({ frequency: "hourly", timezone: "Europe/Berlin" }),
      lastSlotMs: at("2026-10-24T22:00:00Z"),
      activeSinceMs: 0,
      nowMs: at("2026-10-25T03:00:30Z"),
      missed: "all",
    });
    expect(result.run.map((ms) => isoInZone(ms, "Europe/Berlin"))).toEqual([
      "2026-10-25T01:00:00+02:00",
      "2026-10-25T02:00:00+02:00",
      "2026-10-25T02:00:00+01:00",
      "2026-10-25T03:00:00+01:00",
      "2026-10-25T04:00:00+01:00",
    ]);
    expect(result.missed).toBe(0);
  });

  it("a 02:30 daily job in Berlin counts the repeated 02:30 once", () => {
    expect(
      plan({
        timing: timing({ frequency: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin" }),
        lastSlotMs: at("2026-10-24T00:30:00Z"),
        nowMs: at("2026-10-26T12:00:00Z"),
        missed: "once",
      }),
    ).toMatchObject({ run: ["2026-10-26T01:30:00.000Z"], missed: 1 });
  });
});

describe("jitterMs", () => {
  const slots = Array.from({ length: 2000 }, (_, i) => at("2026-05-01T00:00:00Z") + i * 3_600_000);

  it("is 0 for frequencies that are not _long", () => {
    for (const frequency of ["all", "hourly", "daily", "cron", "every"] as const) {
      expect(jitterMs(frequency, "nightly-sync", slots[0] ?? 0)).toBe(0);
    }
  });

  it("is 1 to 600 whole seconds for _long frequencies and the same for the same schedule and slot", () => {
    const jitters = slots.map((slot) => jitterMs("hourly_long", "nightly-sync", slot));
    expect(jitters.every((ms) => ms >= 1_000 && ms <= 600_000 && ms % 1_000 === 0)).toBe(true);
    expect(slots.map((slot) => jitterMs("hourly_long", "nightly-sync", slot))).toEqual(jitters);
  });

  it("spreads runs across the range, across slots and across schedules", () => {
    const jitters = slots.map((slot) => jitterMs("daily_long", "nightly-sync", slot));
    // 2000 draws over 600 values: a working hash fills every tenth of the range and repeats little.
    const tenths = new Set(jitters.map((ms) => Math.floor((ms - 1_000) / 60_000)));
    expect(tenths.size).toBe(10);
    expect(new Set(jitters).size).toBeGreaterThan(450);
    const slot = slots[0] ?? 0;
    const bySchedule = new Set(["a", "b", "c", "d", "e", "f"].map((name) => jitterMs("weekly_long", name, slot)));
    expect(bySchedule.size).toBeGreaterThan(3);
  });
});
