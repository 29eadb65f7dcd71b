// The slot pool's rule (src/live/slot-pool.ts) on its own: max-min shares, and the limit kept
// whatever happens to the messages between shards and the pool — reports and grants lost,
// delivered twice or late and out of order, at random, over many runs — while every shard with
// work still gets slots once messages flow again.
import { describe, expect, it } from "vitest";
import { SlotPool, waterfill, type SlotGrant, type SlotReport } from "../src/live/slot-pool";
import type { Store } from "../src/live/store";

function memoryStore(): Store {
  const meta = new Map<string, SqlStorageValue>();
  return {
    metaText: (key: string) => (meta.get(key) as string | undefined) ?? null,
    setMeta: (key: string, value: SqlStorageValue) => void meta.set(key, value),
  } as unknown as Store;
}

/** A seeded pseudo-random source (mulberry32), so a failing run can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shard as slots.ts keeps it: totals that only grow, and tasks it runs on the slots it holds. */
class Shard {
  received = 0;
  returned = 0;
  cap = 0;
  running = 0;
  waiting = 0;
  constructor(readonly id: number) {}
  held() {
    return this.received - this.returned;
  }
  apply(grant: SlotGrant) {
    this.received = Math.max(this.received, grant.issued);
    this.cap = grant.cap;
  }
  /** Starts what its slots allow, gives back what it cannot use; its report (`limit`: as it knows it). */
  step(limit = Infinity): SlotReport {
    const start = Math.min(this.waiting, this.held() - this.running);
    if (start > 0) {
      this.running += start;
      this.waiting -= start;
    }
    const keep = Math.max(this.running, Math.min(this.cap, this.running + this.waiting));
    if (this.held() > keep) this.returned += this.held() - keep;
    return { shard: this.id, returned: this.returned, inUse: this.running, need: this.running + this.waiting, limit };
  }
}

describe("slot pool", () => {
  it("shares max-min by need, then spreads what is left over the shards that need anything", () => {
    expect(
      waterfill(
        10,
        new Map([
          [0, 10],
          [1, 10],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 5],
        [1, 5],
      ]),
    );
    expect(
      waterfill(
        10,
        new Map([
          [0, 2],
          [1, 10],
          [2, 10],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 2],
        [1, 4],
        [2, 4],
      ]),
    );
    expect(
      waterfill(
        10,
        new Map([
          [0, 1],
          [1, 0],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 10],
        [1, 0],
      ]),
    );
    expect(
      waterfill(
        3,
        new Map([
          [0, 5],
          [1, 5],
          [2, 5],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 1],
        [1, 1],
        [2, 1],
      ]),
    );
  });

  it("never lets the shards hold more than the limit, whatever is lost, repeated or reordered", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = random(seed);
      const limit = 1 + Math.floor(rand() * 12);
      const pool = new SlotPool(memoryStore());
      const shards = Array.from({ length: 1 + Math.floor(rand() * Math.min(limit, 6)) }, (_, i) => new Shard(i));
      // Messages in flight: reports to the pool, grants to shards (possibly delivered late or twice).
      const toPool: SlotReport[] = [];
      const toShard: { shard: number; grant: SlotGrant }[] = [];
      const deliverGrant = (shard: number, grant: SlotGrant) => toShard.push({ shard, grant });
      for (let tick = 0; tick < 400; tick++) {
        const shard = shards[Math.floor(rand() * shards.length)] as Shard;
        const r = rand();
        if (r < 0.25) shard.waiting += 1 + Math.floor(rand() * 4);
        else if (r < 0.45 && shard.running > 0) shard.running--;
        else if (r < 0.7) toPool.push(shard.step());
        // Deliver one message from anywhere in flight (out of order), sometimes twice, sometimes never.
        const fate = rand();
        if (toPool.length > 0 && fate < 0.5) {
          const i = Math.floor(rand() * toPool.length);
          const report = toPool[i] as SlotReport;
          if (rand() < 0.8) toPool.splice(i, 1);
          if (rand() < 0.9) {
            const { grant, others } = pool.report(report, limit, tick * 100);
            if (rand() < 0.85) deliverGrant(report.shard, grant);
            for (const [id, g] of others) if (rand() < 0.85) deliverGrant(id, g);
          }
        } else if (toShard.length > 0) {
          const i = Math.floor(rand() * toShard.length);
          const { shard: id, grant } = toShard[i] as { shard: number; grant: SlotGrant };
          if (rand() < 0.8) toShard.splice(i, 1);
          (shards[id] as Shard).apply(grant);
        }
        const held = shards.reduce((n, s) => n + s.held(), 0);
        expect(held, `seed ${seed}, tick ${tick}`).toBeLessThanOrEqual(limit);
        for (const s of shards) expect(s.running, `seed ${seed}`).toBeLessThanOrEqual(Math.max(s.held(), 0));
      }
      // Then messages flow again: every shard's work runs to the end.
      for (let round = 0; round < 5000 && shards.some((s) => s.running + s.waiting > 0); round++) {
        for (const s of shards) {
          s.running = 0; // the running tasks end
          const { grant, others } = pool.report(s.step(), limit, 1_000_000 + round * 2_000);
          s.apply(grant);
          for (const [id, g] of others) (shards[id] as Shard).apply(g);
          s.step();
        }
        expect(shards.reduce((n, s) => n + s.held(), 0)).toBeLessThanOrEqual(limit);
      }
      expect(
        shards.every((s) => s.running + s.waiting === 0),
        `seed ${seed}: ${JSON.stringify({ limit, shards, pool: pool.figures() })}`,
      ).toBe(true);
    }
  });
});
