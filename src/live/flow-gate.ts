// What holds a dispatchable task back beyond the method's limit: per-key concurrency, singletons
// (at most one Queued or Started task per key) and throttles (GCRA). Usage is counted from the
// attempts in flight at the start of each admission pass — exact by construction, nothing stored
// per task. A throttle's state is one theoretical arrival time (TAT) per key (see Throttles): a
// restart can delay starts but never let one exceed the allowance.
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

/** A throttle whose restart floor would delay starts by more than this keeps its TATs in storage. */
export const SLOW_THROTTLE_MS = 1000;
/** How far ahead the object notes that it is admitting under a throttle (one row per this, at most). */
export const ADMITTING_NOTE_MS = 250;

/** Where the throttle state survives a restart. */
export interface TatStore {
  /** Slow throttles' TATs (one row per key value, written as a start is admitted). */
  load(): Map<string, number>;
  save(key: string, tat: number): void;
  /** Until when the object noted it might admit under a throttle (null: it never has). */
  loadUntil(): number | null;
  saveUntil(until: number): void;
}

/**
 * The throttle state of one method's object: one TAT per key. A key's TAT never exceeds the time
 * of its last admitted start + (burst + 1)·T, so after a restart every key's TAT is taken to be at
 * least `base + (burst + 1)·T`, where `base` is when the object last might have admitted (noted in
 * storage at most once per ADMITTING_NOTE_MS while it admits) — at or above any TAT it could have
 * had. An object that had been idle a while loses nothing to a restart. For a slow throttle
 * ((burst + 1)·T over 1 s) that wait is capped at 1 s and its TATs are written instead (one row
 * per admitted start, at most one a second per key), so a restart keeps them exactly.
 */
export class Throttles {
  private readonly tat: Map<string, number>;
  /** Restart floor base (null: no throttled start before this wake). */
  private readonly base: number | null;
  private noted: number;

  constructor(
    wokeAt: number,
    private readonly store: TatStore | null = null,
  ) {
    this.tat = store?.load() ?? new Map<string, number>();
    const until = store?.loadUntil() ?? null;
    this.base = until === null ? (store ? null : wokeAt) : Math.min(until, wokeAt);
    this.noted = until ?? 0;
  }

  private floor(flow: NonNullable<ResolvedFlow["throttle"]>): number {
    if (this.base === null) return 0;
    const t = flow.periodMs / flow.limit;
    return this.base + Math.min((flow.burst + 1) * t, SLOW_THROTTLE_MS);
  }

  /** A key's TAT belongs to the throttle's settings: changed settings start afresh. */
  private static keyOf(flow: NonNullable<ResolvedFlow["throttle"]>, value: string): string {
    return `${flow.limit}/${flow.periodMs}/${flow.burst}/${flow.key ?? ""}\u0000${value}`;
  }

  /** When a start of `value` is allowed (≤ now: at once). */
  allowedAt(flow: NonNullable<ResolvedFlow["throttle"]>, value: string): number {
    const t = flow.periodMs / flow.limit;
    const tat = Math.max(this.tat.get(Throttles.keyOf(flow, value)) ?? 0, this.floor(flow));
    return tat - flow.burst * t;
  }

  /** Records a start of `value` at `now` (before the start can be sent: storage first). */
  take(flow: NonNullable<ResolvedFlow["throttle"]>, value: string, now: number): void {
    const t = flow.periodMs / flow.limit;
    const key = Throttles.keyOf(flow, value);
    const tat = Math.max(this.tat.get(key) ?? 0, this.floor(flow), now) + t;
    this.tat.set(key, tat);
    if (now >= this.noted) {
      this.noted = now + ADMITTING_NOTE_MS;
      this.store?.saveUntil(this.noted);
    }
    if ((flow.burst + 1) * t > SLOW_THROTTLE_MS) this.store?.save(key, tat);
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

  /** An entry is counted as if admitted (its keys' slots), its throttle untouched: a dry run. */
  hold(keys: FlowKeys): void {
    this.count(keys, 1);
  }

  /** An entry was admitted: it now holds its keys' slots and spends its throttle's turn. */
  take(keys: FlowKeys): void {
    this.count(keys, 1);
    if (this.flow.throttle) this.throttles.take(this.flow.throttle, keys.t ?? "", this.now);
  }
}
