// The line keeps only its head in memory: whatever is added, removed and taken, and however small the
// page, what it hands out is always the true front of the line in admission order.
import { describe, expect, it } from "vitest";
import { compareLine, Line, type LineEntry } from "../src/live/line";

/** A seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

function entry(rand: () => number, i: number): LineEntry {
  return {
    name: `t${String(i).padStart(6, "0")}`,
    lane: rand() < 0.1 ? 2 : rand() < 0.2 ? 1 : 0,
    priority: Math.floor(rand() * 3),
    orderKey: `k${Math.floor(rand() * 50)}`,
    batchOrder: Math.floor(rand() * 5),
  };
}

describe("the line", () => {
  it("hands out the true front of the line through adds, removals and refills", () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const rand = random(seed);
      const storage = new Map<string, LineEntry>();
      const source = (limit: number, exclude: ReadonlySet<string>) =>
        [...storage.values()]
          .filter((e) => !exclude.has(e.name))
          .sort(compareLine)
          .slice(0, limit);
      const line = new Line(source, 7);
      let next = 0;
      for (let step = 0; step < 2_000; step++) {
        const roll = rand();
        if (roll < 0.5) {
          const e = entry(rand, next++);
          storage.set(e.name, e);
          line.add(e);
        } else if (roll < 0.65 && storage.size > 0) {
          // A task leaves the line from anywhere (paused, canceled).
          const names = [...storage.keys()];
          const name = names[Math.floor(rand() * names.length)] ?? "";
          storage.delete(name);
          line.remove(name);
        } else {
          // Admission takes the first few.
          const n = 1 + Math.floor(rand() * 4);
          const taken = line.peek(n, new Set());
          const truth = source(n, new Set());
          expect(taken, `seed ${seed} step ${step}`).toEqual(truth);
          for (const e of taken) {
            storage.delete(e.name);
            line.remove(e.name);
          }
        }
      }
    }
  });

  it("knows a task's place when the head holds it, and says so when only storage can count", () => {
    const all = Array.from({ length: 30 }, (_, i) => ({
      name: `t${String(i).padStart(2, "0")}`,
      lane: 0,
      priority: 0,
      orderKey: `k${String(i).padStart(2, "0")}`,
      batchOrder: 0,
    }));
    const line = new Line((limit) => all.slice(0, limit), 10);
    expect(line.placeOf(all[3] as LineEntry, new Set())).toBe(3);
    expect(line.placeOf(all[25] as LineEntry, new Set())).toBeNull();
  });
});
