// The concurrency limit of a method over several objects (`shards: K`): shard 0's object keeps the
// pool and leases slots to every shard (itself included). Each shard may run at most the slots it
// holds; the pool issues a slot only while the slots it believes held stay within the limit.
//
// Exact whatever is lost, repeated or reordered: both sides count in totals that only grow. The
// pool keeps, per shard, `issued` (slots ever issued to it) and the highest `returned` (slots ever
// given back) it has heard; the shard keeps the highest `issued` it has heard and its own
// `returned`, saved before it says so. So a shard never holds more than the pool believes
// (issued − returned), and the pool's beliefs never sum past the limit: neither can the slots held.
//
// Shares follow demand, max-min fair (water-filling): each shard reports what it runs and what it
// could start; a shard holding more than its share is told a lower cap and gives slots back as its
// tasks end; slots a shard cannot use go back at once. A wake-up is never lost: every change is
// pushed to the shard it concerns, and a shard still short of slots asks again on its alarm.
import type { Store } from "./store";

/** What a shard tells the pool. */
export interface SlotReport {
  shard: number;
  /** Slots it ever gave back (a total). */
  returned: number;
  /** Tasks it runs now (Queued or Started). */
  inUse: number;
  /** Slots it could use now: in use plus what it could start. */
  need: number;
  /** The method's limit as this shard knows it (the pool shares the lower of its own and this). */
  limit: number;
}

/** The pool's answer: slots ever issued to the shard (a total) and its share now. */
export interface SlotGrant {
  issued: number;
  cap: number;
  /** The limit the share was computed for. */
  limit: number;
  /** Another shard is short and none is free: keep only what you need now, and say so. */
  refresh?: boolean;
}

interface ShardLease {
  issued: number;
  returned: number;
  inUse: number;
  need: number;
}

const KEY = "slot_pool";
/** Least time between two rounds of asking holders for their need. */
export const REFRESH_MS = 1_000;

/**
 * Max-min fair shares of `total` among needs (each gets at most its need; what a small need leaves
 * is split among the larger ones), then what is left over once every need is met is spread over
 * the shards that need anything (headroom: a stream of tasks then reuses its slots without asking).
 */
export function waterfill(total: number, needs: ReadonlyMap<number, number>): Map<number, number> {
  const order = [...needs].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const shares = new Map<number, number>();
  let left = total;
  order.forEach(([shard, need], i) => {
    const fair = Math.ceil(left / (order.length - i));
    const share = Math.max(0, Math.min(need, fair, left));
    shares.set(shard, share);
    left -= share;
  });
  const active = [...needs]
    .filter(([, need]) => need > 0)
    .map(([shard]) => shard)
    .sort((a, b) => a - b);
  for (let i = 0; left > 0 && active.length > 0; i++, left--) {
    const shard = active[i % active.length] as number;
    shares.set(shard, (shares.get(shard) ?? 0) + 1);
  }
  return shares;
}

export class SlotPool {
  private readonly leases = new Map<number, ShardLease>();
  /** When the holders were last asked for their need (see report). */
  private refreshedAt = -Infinity;
  /** The cap each shard was last told (memory only: after a wake every shard is told again). */
  private readonly told = new Map<number, number>();

  constructor(private readonly store: Store) {}

  /** Reads the saved leases (once per wake, after the object's storage is ready). */
  load(): void {
    const saved = JSON.parse(this.store.metaText(KEY) ?? "{}") as Record<string, ShardLease>;
    this.leases.clear();
    for (const [shard, lease] of Object.entries(saved)) this.leases.set(Number(shard), lease);
  }

  /** Whether any shard has ever leased (the method has been sharded: every shard leases from now on). */
  active(): boolean {
    return this.leases.size > 0;
  }

  /**
   * Takes a shard's report and rebalances under `limit`: the reporting shard's grant, and every
   * other shard that was issued slots or given another cap (to be told). Runs inside the caller's
   * transaction.
   */
  report(report: SlotReport, limit: number, now: number): { grant: SlotGrant; others: Map<number, SlotGrant> } {
    // A limit just changed reaches shard 0 and the others in some order: the lower one is shared
    // until both know the new one — never more than either allows.
    limit = Math.min(limit, report.limit);
    const lease = this.leases.get(report.shard) ?? { issued: 0, returned: 0, inUse: 0, need: 0 };
    lease.returned = Math.max(lease.returned, report.returned);
    lease.inUse = report.inUse;
    lease.need = Math.max(report.need, report.inUse);
    this.leases.set(report.shard, lease);
    const needs = new Map([...this.leases].map(([shard, l]) => [shard, Math.min(limit, l.need)]));
    const shares = waterfill(limit, needs);
    let free = limit;
    for (const l of this.leases.values()) free -= held(l);
    const others = new Map<number, SlotGrant>();
    // The reporting shard first, then the others in shard order.
    const order = [report.shard, ...[...this.leases.keys()].filter((s) => s !== report.shard).sort((a, b) => a - b)];
    for (const shard of order) {
      const l = this.leases.get(shard) as ShardLease;
      const cap = shares.get(shard) ?? 0;
      const give = Math.max(0, Math.min(cap - held(l), free));
      if (give > 0) {
        l.issued += give;
        free -= give;
      }
      if (shard !== report.shard && (give > 0 || this.told.get(shard) !== cap))
        others.set(shard, { issued: l.issued, cap, limit });
      this.told.set(shard, cap);
    }
    // Still short with nothing free: the others' needs may be old (a shard keeps its share while
    // idle). Every shard holding slots is asked for its need now; idle slots come back with it —
    // at most once per REFRESH_MS, so a method short of slots everywhere is not flooded with asks.
    if (held(lease) < lease.need && free === 0 && now >= this.refreshedAt + REFRESH_MS) {
      this.refreshedAt = now;
      for (const [shard, l] of this.leases) {
        if (shard === report.shard || held(l) === 0) continue;
        others.set(shard, { issued: l.issued, cap: shares.get(shard) ?? 0, limit, refresh: true });
      }
    }
    this.store.setMeta(KEY, JSON.stringify(Object.fromEntries(this.leases)));
    return { grant: { issued: lease.issued, cap: shares.get(report.shard) ?? 0, limit }, others };
  }

  /** What the pool believes each shard holds, runs and could use (for flow usage). */
  figures(): { shard: number; held: number; inUse: number; need: number }[] {
    return [...this.leases]
      .sort((a, b) => a[0] - b[0])
      .map(([shard, l]) => ({ shard, held: held(l), inUse: l.inUse, need: l.need }));
  }
}

/** What the pool believes a shard holds: its slots, or what it runs if that is more. */
function held(lease: ShardLease): number {
  return Math.max(lease.issued - lease.returned, lease.inUse);
}
