// Flow control inside the method's object, rule by rule: the order tasks are admitted in (fairness,
// priority within a key, weights), how many hold a slot per key (per-key concurrency, singleton) in
// samples taken inside the object, the starts a throttle allows at chosen instants (GCRA), what a
// debounce, a rate limit and a singleton leave of a burst — and that restarts keep every rule.
import { beforeAll, describe, expect, it } from "vitest";
import { admit } from "../src/live/dispatch";
import { Throttles } from "../src/live/flow-gate";
import { gcraAllowance } from "../src/shared/flow";
import {
  admitNow,
  claimAll,
  configure,
  evict,
  finish,
  freshMethod,
  inLive,
  maxPerKey,
  put,
  running,
  task,
} from "./flow-support";
import { setDispatcher } from "./helpers";

beforeAll(async () => {
  await setDispatcher(false);
});

/**
 * Owner A has `a` tasks waiting and its first `limit` running; then B enqueues `b`. Slots free one
 * at a time (the oldest running task ends): the admissions after B arrived, in order.
 */
async function floodThenLate(flow: Parameters<typeof configure>[2], a: number, b: number, limit: number) {
  const method = freshMethod("fair");
  await configure(method, limit, flow);
  await put(
    method,
    Array.from({ length: a }, (_, i) => task(method, "A", { i })),
  );
  const first = await admitNow(method);
  expect(first).toHaveLength(limit);
  const late = await put(
    method,
    Array.from({ length: b }, (_, i) => task(method, "B", { i })),
  );
  const lateNames = new Set(late.map((t) => t.name));
  const runningNow = [...first];
  const order: string[] = [];
  while (order.filter((n) => lateNames.has(n)).length < b) {
    const done = runningNow.shift() as string;
    await finish(method, [done]);
    const admitted = await admitNow(method);
    expect(admitted).toHaveLength(1);
    order.push(...admitted);
    runningNow.push(...admitted);
  }
  return { order, lateNames, method };
}

describe("fairness", () => {
  it("a late owner's tasks alternate with a flooding owner's instead of waiting behind all of them", async () => {
    const { order, lateNames } = await floodThenLate(null, 200, 10, 10);
    // Round-robin: B's 10 tasks take every other free slot, so the last starts by the 20th admission.
    expect(order.length).toBeLessThanOrEqual(20);
    expect(order.map((n) => (lateNames.has(n) ? "B" : "A")).join("")).toBe(
      "BABABABABABABABABABA".slice(0, order.length),
    );
  });

  it("with fairness off the late owner waits behind the whole flood (first in, first out)", async () => {
    const { order } = await floodThenLate({ fairness: false }, 60, 3, 5);
    // 60 − 5 already running: 55 of A's go first.
    expect(order).toHaveLength(55 + 3);
  });

  it("priority and at_front still order tasks within a key; run-now goes before every key", async () => {
    const method = freshMethod("prio");
    await configure(method, 1, null);
    const [a1, a2] = await put(method, [task(method, "A", { n: 1 }), task(method, "A", { n: 2 })]);
    const [b1] = await put(method, [task(method, "B", { n: 1 })]);
    const [a3] = await put(method, [task(method, "A", { n: 3 }, { priority: 5 })]);
    const [a4] = await put(method, [task(method, "A", { n: 4 }, { atFront: true, lane: 1 })]);
    const [b2] = await put(method, [task(method, "B", { n: 2 }, { lane: 2 })]);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [name] = await admitNow(method);
      expect(name).toBeDefined();
      order.push(name as string);
      await finish(method, [name as string]);
    }
    // b2 (run now) first; then A and B take turns (a tie goes to the key whose first task is earlier
    // in line: a3's priority puts it before b1); within A: at_front, then priority, then creation.
    expect(order).toEqual([b2?.name, a4?.name, a3?.name, b1?.name, a1?.name, a2?.name]);
  });

  it("weights share the slots in proportion while both keys have work", async () => {
    const method = freshMethod("weights");
    await configure(method, 0, { fairness: { key: "arguments.tenant", weights: { big: 3 } } });
    await put(method, [
      ...Array.from({ length: 100 }, (_, i) => task(method, "x", { tenant: "big", i })),
      ...Array.from({ length: 100 }, (_, i) => task(method, "x", { tenant: "small", i })),
    ]);
    const admitted = await admitNow(method, Date.now(), 40);
    const sample = await running(method);
    const byName = new Map(sample.map((t) => [t.name, t.args.tenant]));
    const big = admitted.filter((n) => byName.get(n) === "big").length;
    expect(big).toBe(30);
    expect(admitted.length - big).toBe(10);
  });
});

describe("per-key concurrency and singletons", () => {
  it("never more than the key's limit running, in samples after every admission, across a restart", async () => {
    const method = freshMethod("perkey");
    await configure(method, 8, { concurrency: [{ key: "arguments.customer", limit: 2 }] });
    const customers = ["ACME", "BETA", "GAMMA"];
    await put(
      method,
      Array.from({ length: 60 }, (_, i) => task(method, `u${i % 4}`, { customer: customers[i % 3] })),
    );
    let violations = 0;
    let admittedTotal = 0;
    for (let round = 0; round < 40; round++) {
      const admitted = await admitNow(method);
      admittedTotal += admitted.length;
      const sample = await running(method);
      if (maxPerKey(sample, (t) => String(t.args.customer)) > 2) violations++;
      expect(sample.length).toBeLessThanOrEqual(6);
      if (round === 10) {
        // Claimed attempts survive the restart as running; admitted-only ones are admitted again.
        await claimAll(
          method,
          sample.map((t) => t.name),
        );
        await evict(method);
        continue;
      }
      const [oldest] = sample;
      if (oldest) await finish(method, [oldest.name]);
    }
    expect(violations).toBe(0);
    expect(admittedTotal).toBeGreaterThan(30);
  });

  it("singleton: one Queued or Started task per key; skip ends the newcomer, cancel replaces the live one", async () => {
    const skip = freshMethod("single-skip");
    await configure(skip, 0, { singleton: { key: "arguments.doc", mode: "skip" } });
    const [first, second, other] = await put(skip, [
      task(skip, "A", { doc: "D1" }),
      task(skip, "A", { doc: "D1" }),
      task(skip, "A", { doc: "D2" }),
    ]);
    expect(first?.status).toBe("Pending");
    expect(second?.status).toBe("Canceled");
    expect(second?.flowOutcome).toBe("singleton_skipped");
    expect(second?.statusMessage).toContain(first?.name);
    expect(other?.status).toBe("Pending");

    const cancel = freshMethod("single-cancel");
    await configure(cancel, 0, { singleton: { key: "arguments.doc", mode: "cancel" } });
    const [old] = await put(cancel, [task(cancel, "A", { doc: "D1" })]);
    expect(await admitNow(cancel)).toEqual([old?.name]);
    const [fresh] = await put(cancel, [task(cancel, "A", { doc: "D1" })]);
    const oldNow = await inLive(cancel, (live) => live.get(old?.name ?? ""));
    expect(oldNow?.status).toBe("Canceled");
    expect(oldNow?.flowOutcome).toBe("singleton_canceled");
    expect(oldNow?.statusMessage).toContain(fresh?.name);
    expect(await admitNow(cancel)).toEqual([fresh?.name]);
  });
});

describe("throttle (GCRA)", () => {
  it("starts in any 1 s window never exceed burst + limit, and ≥ 95 % of the allowance is used", async () => {
    const method = freshMethod("throttle");
    await configure(method, 0, { throttle: { limit: 20, period: "1s", burst: 5 } });
    await put(
      method,
      Array.from({ length: 400 }, (_, i) => task(method, `u${i % 3}`, { i })),
    );
    // Admission passes at chosen instants 5 ms apart over 10 s (after the wake's floor).
    const t0 = Date.now() + 2_000;
    const starts = await inLive(method, (live) => {
      const at: number[] = [];
      live.settings.dispatcherOn = true;
      for (let t = t0; t < t0 + 10_000; t += 5) for (const a of admit(live, t, 10_000)) at.push(a.queuedAt);
      live.settings.dispatcherOn = false;
      return at;
    });
    let worst = 0;
    for (let i = 0; i < starts.length; i++) {
      let j = i;
      while (j < starts.length && (starts[j] as number) < (starts[i] as number) + 1000) j++;
      worst = Math.max(worst, j - i);
    }
    expect(worst).toBeLessThanOrEqual(gcraAllowance(20, 1000, 5, 1000));
    expect(starts.length).toBeGreaterThanOrEqual(0.95 * gcraAllowance(20, 1000, 5, 10_000));
    expect(starts.length).toBeLessThanOrEqual(gcraAllowance(20, 1000, 5, 10_000));
  });

  it("a restart never lets a fast throttle through early: the new wake's floor is at or above any TAT it could have had", () => {
    const flow = { limit: 10, periodMs: 1000, burst: 2, key: null };
    const before = new Throttles(0, null);
    const starts: number[] = [];
    // Spend the whole burst and rate up to t = 5000, then restart at 5000.
    for (let t = 1000; t <= 5000; t += 10) {
      if (before.allowedAt(flow, "") <= t) {
        before.take(flow, "", t);
        starts.push(t);
      }
    }
    // Restarted at 5000 with the note "admitting until 5000" (the worst case: it admitted just now).
    const after = new Throttles(5000, null);
    for (let t = 5000; t <= 8000; t += 10) {
      if (after.allowedAt(flow, "") <= t) {
        after.take(flow, "", t);
        starts.push(t);
      }
    }
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((s) => s >= (starts[i] as number) && s < (starts[i] as number) + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(gcraAllowance(10, 1000, 2, 1000));
    }
  });

  it("a slow throttle keeps its TATs in storage: after an eviction the next start still waits its turn", async () => {
    const method = freshMethod("throttle-slow");
    await configure(method, 0, { throttle: { limit: 1, period: "1h" } });
    const [a, b] = await put(method, [task(method, "A"), task(method, "A")]);
    const t = Date.now() + 5_000;
    expect(await admitNow(method, t)).toEqual([a?.name]);
    await claimAll(method, [a?.name ?? ""]);
    await evict(method);
    expect(await admitNow(method, t + 3_599_000)).toEqual([]);
    expect(await admitNow(method, t + 3_600_000)).toEqual([b?.name]);
  });

  it("the excess waits (never dropped) and the object's alarm is set for the next allowed start", async () => {
    const method = freshMethod("throttle-wait");
    await configure(method, 0, { throttle: { limit: 1, period: "1h", key: "arguments.site" } });
    const tasks = await put(method, [
      task(method, "A", { site: "s1" }),
      task(method, "A", { site: "s1" }),
      task(method, "A", { site: "s2" }),
    ]);
    const t = Date.now() + 7_200_000;
    const admitted = await admitNow(method, t);
    expect(admitted).toEqual([tasks[0]?.name, tasks[2]?.name]);
    const wake = await inLive(method, (live) => live.throttleWakeAt);
    expect(wake).toBe(t + 3_600_000);
    const still = await inLive(method, (live) => live.get(tasks[1]?.name ?? "")?.status);
    expect(still).toBe("Pending");
    expect(await admitNow(method, t + 3_599_999)).toEqual([]);
    expect(await admitNow(method, t + 3_600_000)).toEqual([tasks[1]?.name]);
  });
});

describe("debounce and rate limit", () => {
  it("a burst collapses into one run with the last arguments, at most `timeout` after the first", async () => {
    const method = freshMethod("debounce");
    await configure(method, 0, { debounce: { key: "arguments.customer", period: "1s", timeout: "3s" } });
    const t0 = Date.now();
    const burst: ({ name: string } | undefined)[] = [];
    // 10 tasks 500 ms apart: each would push the start 1 s on, but the timeout caps it at t0 + 3 s.
    for (let i = 0; i < 10; i++) {
      const [t] = await put(method, [task(method, "A", { customer: "ACME", n: i })], t0 + i * 500);
      burst.push(t);
    }
    const [other] = await put(method, [task(method, "A", { customer: "BETA", n: 0 })], t0);
    const states = await inLive(method, (live) => live.getMany(burst.map((t) => t?.name ?? "")));
    const live = states.filter((t) => t.status === "Pending");
    expect(live).toHaveLength(1);
    expect(JSON.parse(live[0]?.arguments ?? "{}").n).toBe(9);
    expect(live[0]?.wakeAt).toBe(t0 + 3000);
    expect(states.filter((t) => t.flowOutcome === "debounced")).toHaveLength(9);
    expect(other?.wakeAt).toBe(t0 + 1000);
  });

  it("the excess of a rate limit is Canceled with rate_limited and its reason — the window survives a restart", async () => {
    const method = freshMethod("ratelimit");
    await configure(method, 0, { rateLimit: { limit: 3, period: "1h", key: "owner" } });
    const first = await put(
      method,
      Array.from({ length: 5 }, () => task(method, "A")),
    );
    expect(first.map((t) => t.status)).toEqual(["Pending", "Pending", "Pending", "Canceled", "Canceled"]);
    expect(first[3]?.flowOutcome).toBe("rate_limited");
    expect(first[3]?.statusMessage).toMatch(/^Rate limited: 3 per 3600s for owner = A/);
    const [otherOwner] = await put(method, [task(method, "B")]);
    expect(otherOwner?.status).toBe("Pending");
    await evict(method);
    const [again] = await put(method, [task(method, "A")]);
    expect(again?.flowOutcome).toBe("rate_limited");
    const [nextWindow] = await put(method, [task(method, "A")], Date.now() + 3_600_001);
    expect(nextWindow?.status).toBe("Pending");
  });

  it("a key missing from the arguments refuses a caller's task, but ends a schedule's run saying why", async () => {
    const method = freshMethod("keymissing");
    await configure(method, 0, { concurrency: [{ key: "arguments.customer", limit: 1 }] });
    await expect(put(method, [task(method, "A", { other: 1 })])).rejects.toThrow(/arguments\.customer/);
    expect(await inLive(method, (live) => live.store.exec(`SELECT count(*) AS n FROM tasks`)[0]?.n)).toBe(0);
    const [run] = await put(method, [task(method, "A", { other: 1 }, { scheduledJob: "nightly" })]);
    expect(run?.status).toBe("Canceled");
    expect(run?.flowOutcome).toBe("key_missing");
    expect(run?.statusMessage).toContain("arguments.customer");
  });

  it("debounce and singleton stay exact across an eviction: their state is the tasks' own rows", async () => {
    const debounced = freshMethod("debounce-evict");
    await configure(debounced, 0, { debounce: { key: "arguments.customer", period: "1h" } });
    const [first] = await put(debounced, [task(debounced, "A", { customer: "ACME", n: 1 })]);
    await evict(debounced);
    const [second] = await put(debounced, [task(debounced, "A", { customer: "ACME", n: 2 })]);
    const both = await inLive(debounced, (live) => live.getMany([first?.name ?? "", second?.name ?? ""]));
    expect(both.map((t) => [t.name, t.status, t.flowOutcome])).toEqual([
      [first?.name, "Canceled", "debounced"],
      [second?.name, "Pending", null],
    ]);

    const single = freshMethod("single-evict");
    await configure(single, 0, { singleton: { key: "arguments.doc", mode: "skip" } });
    const [live] = await put(single, [task(single, "A", { doc: "D1" })]);
    expect(await admitNow(single)).toEqual([live?.name]);
    await claimAll(single, [live?.name ?? ""]);
    await evict(single);
    const [late] = await put(single, [task(single, "A", { doc: "D1" })]);
    expect(late?.flowOutcome).toBe("singleton_skipped");
  });
});
