// The fair line keeps only a page of each key's head in memory: whatever is added, removed, held
// back and taken, and however small the pages, what it hands out is always the task the fair rule
// names when it is computed over the whole line (a reference model with everything in memory).
import { describe, expect, it } from "vitest";
import { FairLine, type FairEntry } from "../src/live/fair-line";
import { compareLine } from "../src/live/line";

/** A seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const KEYS = ["alice", "bob", "carol", "dave", "erin"];
const WEIGHTS: Record<string, number> = { carol: 3 };
const weight = (k: string) => WEIGHTS[k] ?? 1;

function entry(rand: () => number, i: number): FairEntry {
  return {
    name: `t${String(i).padStart(6, "0")}`,
    lane: rand() < 0.05 ? 2 : rand() < 0.15 ? 1 : 0,
    priority: Math.floor(rand() * 3),
    orderKey: `k${String(i).padStart(6, "0")}`,
    batchOrder: 0,
    key: KEYS[Math.floor(rand() * (rand() < 0.5 ? 2 : KEYS.length))] as string,
    keys: { c: { "arguments.customer": `c${Math.floor(rand() * 10)}` } },
  };
}

/** The fair rule over the whole line (docs/flow-control.md), with its own passes. */
class Reference {
  readonly storage = new Map<string, FairEntry>();
  private readonly pass = new Map<string, number>();
  private vtime = 0;

  private waiting(key: string): number {
    return [...this.storage.values()].filter((e) => e.key === key).length;
  }

  add(e: FairEntry): void {
    // A key with nothing waiting joins at the current virtual time.
    if (this.waiting(e.key) === 0) this.pass.set(e.key, Math.max(this.pass.get(e.key) ?? 0, this.vtime));
    this.storage.set(e.name, e);
  }

  pick(blocked: (e: FairEntry) => boolean): FairEntry | null {
    let best: FairEntry | null = null;
    let bestPass = 0;
    for (const key of new Set([...this.storage.values()].map((e) => e.key))) {
      const first = [...this.storage.values()]
        .filter((e) => e.key === key)
        .sort(compareLine)
        .find((e) => !blocked(e));
      if (!first) continue;
      const p = this.pass.get(key) ?? this.vtime;
      let better: boolean;
      if (best === null) better = true;
      else if (first.lane >= 2 !== best.lane >= 2) better = first.lane >= 2;
      else if (first.lane >= 2) better = compareLine(first, best) < 0;
      else if (p !== bestPass) better = p < bestPass;
      else better = compareLine(first, best) < 0;
      if (better) {
        best = first;
        bestPass = p;
      }
    }
    return best;
  }

  charge(e: FairEntry): void {
    const p = this.pass.get(e.key) ?? this.vtime;
    if (e.lane < 2) this.vtime = Math.max(this.vtime, p);
    this.pass.set(e.key, p + 1 / weight(e.key));
  }
}

describe("the fair line", () => {
  it("hands out what the fair rule names over the whole line, through adds, removals, holds and refills", () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const rand = random(seed);
      const ref = new Reference();
      const sorted = (key: string | null) =>
        [...ref.storage.values()].filter((e) => key === null || e.key === key).sort(compareLine);
      const line = new FairLine(
        {
          ofKey: (key, limit) => sorted(key).slice(0, limit),
          ranked: (perKey, limit) => {
            const out: (FairEntry & { rank: number })[] = [];
            for (const key of KEYS)
              sorted(key)
                .slice(0, perKey)
                .forEach((e, i) => out.push({ ...e, rank: i + 1 }));
            return out.sort((a, b) => a.rank - b.rank || compareLine(a, b)).slice(0, limit);
          },
        },
        weight,
        20,
        6,
      );
      let next = 0;
      for (let step = 0; step < 3_000; step++) {
        const roll = rand();
        if (roll < 0.5) {
          const e = entry(rand, next++);
          ref.add(e);
          line.add(e);
        } else if (roll < 0.6 && ref.storage.size > 0) {
          // A task leaves the line from anywhere (paused, canceled).
          const names = [...ref.storage.keys()];
          const name = names[Math.floor(rand() * names.length)] ?? "";
          ref.storage.delete(name);
          line.remove(name);
        } else {
          // Admission: one customer of ten is held back (a per-key limit) for this pass. (Held-back
          // runs stay shorter than a page: deeper than a page, a key's next task waits by design.)
          const held = `c${Math.floor(rand() * 10)}`;
          const blocked = (e: FairEntry) => e.keys.c?.["arguments.customer"] === held;
          const got = line.pick(blocked);
          const want = ref.pick(blocked);
          expect(got?.name ?? null, `seed ${seed} step ${step}`).toBe(want?.name ?? null);
          if (got) {
            line.remove(got.name);
            line.charge(got.key, got.lane);
            ref.storage.delete(got.name);
            ref.charge(got);
          }
        }
      }
    }
  });

  it("a late key's tasks alternate with a flooding key's", () => {
    const flood = Array.from({ length: 50 }, (_, i) => ({
      name: `a${String(i).padStart(3, "0")}`,
      lane: 0,
      priority: 0,
      orderKey: `a${String(i).padStart(3, "0")}`,
      batchOrder: 0,
      key: "A",
      keys: {},
    }));
    const storage = new Map(flood.map((e) => [e.name, e]));
    const sorted = () => [...storage.values()].sort(compareLine);
    const line = new FairLine(
      {
        ofKey: (key, limit) =>
          sorted()
            .filter((e) => e.key === key)
            .slice(0, limit),
        ranked: (_perKey, limit) =>
          sorted()
            .map((e, i) => ({ ...e, rank: i + 1 }))
            .slice(0, limit),
      },
      () => 1,
    );
    const take = () => {
      const e = line.pick(() => false);
      if (!e) throw new Error("nothing to take");
      line.remove(e.name);
      line.charge(e.key, e.lane);
      storage.delete(e.name);
      return e.key;
    };
    const first = Array.from({ length: 10 }, take);
    expect(first.join("")).toBe("AAAAAAAAAA");
    for (let i = 0; i < 3; i++) {
      const late = { ...flood[0], name: `b${i}`, orderKey: `b${i}`, key: "B" } as FairEntry;
      storage.set(late.name, late);
      line.add(late);
    }
    expect(Array.from({ length: 8 }, take).join("")).toBe("BABABAAA");
  });
});
