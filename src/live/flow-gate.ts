// What holds a dispatchable task back beyond the method's limit: per-key concurrency, singletons
// (at most one Queued or Started task per key) and throttles (GCRA). Usage is counted from the
// attempts in flight at the start of each admission pass — exact by construction, nothing stored
// per task. A throttle's state is one theoretical arrival time (TAT) per key, kept in memory only:
// after a restart every key starts from a TAT of (wake + burst·T + T), at or above any TAT it
// could have had, so a restart can delay starts but never let one exceed the allowance.
import type { FlowKeys, ResolvedFlow } from "../shared/flow";
import { keyLabel } from "../shared/flow";
import type { FairEntry } from "./fair-line";

/** Why an entry is held back now, for the admission pass and "why is it waiting". */
export type Hold =
  | { kind: "key_limit"; key: string; value: string; running: number; limit: number }
  | { kind: "singleton"; value: string }
  | { kind: "throttled"; value: string; nextAt: number };

/** A task's value for a per-key concurrency expression ("" when it was enqueued before the rule). */
export const concurrencyValue = (keys: FlowKeys, expression: string) => keys.c?.[expression] ?? "";

/** The throttle state of one method's object (TAT per key), kept across passes. */
export class Throttles {
  private readonly tat = new Map<string, number>();

  constructor(
    /** When the object woke: the floor of every TAT (see the module comment). */
    private readonly wokeAt: number,
  ) {}

  private floor(flow: NonNullable<ResolvedFlow["throttle"]>): number {
    const t = flow.periodMs / flow.limit;
    return this.wokeAt + flow.burst * t + t;
  }

  /** When a start of `value` is allowed (≤ now: at once). */
  allowedAt(flow: NonNullable<ResolvedFlow["throttle"]>, value: string): number {
    const t = flow.periodMs / flow.limit;
    const tat = Math.max(this.tat.get(value) ?? 0, this.floor(flow));
    return tat - flow.burst * t;
  }

  /** Records a start of `value` at `now`. */
  take(flow: NonNullable<ResolvedFlow["throttle"]>, value: string, now: number): void {
    const t = flow.periodMs / flow.limit;
    const tat = Math.max(this.tat.get(value) ?? 0, this.floor(flow), now);
    this.tat.set(value, tat + t);
    // Keys whose TAT has passed are as good as new: forget them (memory stays bounded).
    if (this.tat.size > 1000) for (const [k, v] of this.tat) if (v <= now) this.tat.delete(k);
  }
}

/**
 * One admission pass's view of the limits: usage counted from the attempts in flight, updated
 * as the pass admits. `holdOf` says why an entry may not start now (null: it may).
 */
export class FlowGate {
  private readonly usage = new Map<string, number>();
  /** The earliest moment a throttle lets a held-back entry go (for the alarm). */
  nextAt: number | null = null;

  constructor(
    private readonly flow: ResolvedFlow,
    private readonly throttles: Throttles,
    private readonly now: number,
    running: Iterable<FlowKeys>,
  ) {
    for (const keys of running) this.count(keys, 1);
  }

  private count(keys: FlowKeys, n: number): void {
    for (const c of this.flow.concurrency) {
      const k = `c\u0000${c.key}\u0000${concurrencyValue(keys, c.key)}`;
      this.usage.set(k, (this.usage.get(k) ?? 0) + n);
    }
    if (this.flow.singleton && keys.s !== undefined) {
      const k = `s\u0000${keys.s}`;
      this.usage.set(k, (this.usage.get(k) ?? 0) + n);
    }
  }

  /** Running tasks for a concurrency key's value. */
  running(expression: string, value: string): number {
    return this.usage.get(`c\u0000${expression}\u0000${value}`) ?? 0;
  }

  /** Why `keys` may not start now, or null. */
  holdOf(keys: FlowKeys): Hold | null {
    return this.holdsOf(keys, true)[0] ?? null;
  }

  /** Every limit that holds `keys` back now (only the first when `first`). */
  holdsOf(keys: FlowKeys, first = false): Hold[] {
    const holds: Hold[] = [];
    for (const c of this.flow.concurrency) {
      const value = concurrencyValue(keys, c.key);
      const running = this.running(c.key, value);
      if (running >= c.limit) {
        holds.push({ kind: "key_limit", key: keyLabel(c.key), value, running, limit: c.limit });
        if (first) return holds;
      }
    }
    if (this.flow.singleton && keys.s !== undefined && (this.usage.get(`s\u0000${keys.s}`) ?? 0) > 0) {
      holds.push({ kind: "singleton", value: keys.s });
      if (first) return holds;
    }
    const throttle = this.flow.throttle;
    if (throttle) {
      const value = keys.t ?? "";
      const at = this.throttles.allowedAt(throttle, value);
      if (at > this.now) {
        if (this.nextAt === null || at < this.nextAt) this.nextAt = at;
        holds.push({ kind: "throttled", value, nextAt: at });
      }
    }
    return holds;
  }

  /** Whether an entry is held back (for FairLine.pick). */
  readonly blocks = (entry: FairEntry): boolean => this.holdOf(entry.keys) !== null;

  /** An entry was admitted: it now holds its keys' slots and spends its throttle's turn. */
  take(keys: FlowKeys): void {
    this.count(keys, 1);
    if (this.flow.throttle) this.throttles.take(this.flow.throttle, keys.t ?? "", this.now);
  }
}
