// The line of a method's dispatchable tasks with fairness: one sub-line per fairness key (by
// default the owner), each in admission order (run-now lane, at_front lane, priority, creation),
// served round-robin by weighted pass (stride scheduling). Only a page of each key's head is kept
// in memory — a backlog of any size, over any number of keys, costs a bounded amount of memory —
// and refilled from storage by a sort (per key, or a window query over every key) when it runs
// dry. The rule (docs/flow-control.md):
//   1. Run-now tasks (lane 2) go first, in line order, whatever their key.
//   2. Otherwise the next task is the first in line of the key with the lowest pass
//      (admissions ÷ weight); a tie goes to the key whose first task is earlier in line.
//   3. A key that had nothing waiting joins at the current virtual time: idle keys bank no turns.
//   4. A task a limit holds back (per-key concurrency, throttle, singleton) keeps its place; the
//      next one of its key (within the key's page) and then other keys are considered.
import { compareLine, type LineEntry } from "./line";
import type { FlowKeys } from "../shared/flow";

/** A task's place in line with what flow control decides by. */
export interface FairEntry extends LineEntry {
  /** Its fairness key ("" for all when fairness is off). */
  key: string;
  keys: FlowKeys;
}

/** Reads a key's first dispatchable rows, or (key null) the first rows of every key by rank. */
export interface FairSource {
  /** The first `limit` entries of `key` in line order. */
  ofKey(key: string, limit: number): FairEntry[];
  /** Entries with their rank within their key (1 = first), ordered by rank then line order. */
  ranked(perKey: number, limit: number): (FairEntry & { rank: number })[];
}

interface KeyLine {
  entries: FairEntry[];
  /** True: the entries are all the key's dispatchable tasks. */
  complete: boolean;
}

/** Keys whose pass is remembered beyond those waiting (older ones are forgotten, see prune). */
const PASSES_KEPT = 10_000;

export class FairLine {
  private readonly keys = new Map<string, KeyLine>();
  private readonly where = new Map<string, string>();
  /** True: every key with a dispatchable task has its KeyLine here. */
  private allKeys = false;
  private readonly pass = new Map<string, number>();
  private vtime = 0;
  /** Admissions since the last full refill (while not all keys are known, one is due every page). */
  private sinceRefill = 0;

  constructor(
    private readonly source: FairSource,
    /** Weight of a key value (≥ 1). */
    private readonly weight: (key: string) => number,
    private readonly pageSize = 1000,
    /** The least page of one key's line kept in memory. */
    private readonly minPerKey = 64,
  ) {}

  /** Forgets the heads (not the passes); the next read refills from storage. */
  reset(): void {
    this.keys.clear();
    this.where.clear();
    this.allKeys = false;
  }

  private perKey(): number {
    return Math.max(this.minPerKey, Math.floor(this.pageSize / Math.max(1, this.keys.size)));
  }

  /** A task became dispatchable. */
  add(entry: FairEntry): void {
    if (this.where.has(entry.name)) this.remove(entry.name);
    let line = this.keys.get(entry.key);
    if (!line) {
      // Unknown key: if every key is known it has nothing waiting; else storage holds it.
      if (!this.allKeys) return;
      line = { entries: [], complete: true };
      this.keys.set(entry.key, line);
      this.activate(entry.key);
    } else if (line.complete && line.entries.length === 0) {
      // The key had nothing waiting: it joins now.
      this.activate(entry.key);
    }
    const last = line.entries.at(-1);
    if (!line.complete && (last === undefined || compareLine(entry, last) > 0)) return;
    let index = line.entries.length;
    while (index > 0 && compareLine(entry, line.entries[index - 1] as LineEntry) < 0) index--;
    line.entries.splice(index, 0, entry);
    this.where.set(entry.name, entry.key);
    const cap = this.perKey() * 2;
    if (line.entries.length > cap) {
      for (const dropped of line.entries.splice(cap / 2)) this.where.delete(dropped.name);
      line.complete = false;
    }
  }

  /** A task left the line (admitted, paused, canceled, delayed …). */
  remove(name: string): void {
    const key = this.where.get(name);
    if (key === undefined) return;
    this.where.delete(name);
    const line = this.keys.get(key);
    if (!line) return;
    const index = line.entries.findIndex((e) => e.name === name);
    if (index >= 0) line.entries.splice(index, 1);
  }

  /**
   * The next task by the rule, skipping those `blocked` holds back (they keep their place); null
   * when none may go. Does not take it: the caller removes it and `charge`s its key once admitted.
   * A key whose page in memory is all held back is read afresh from storage once per `refilled`
   * (one admission pass), so the depth looked at is a whole page, not what is left of one.
   */
  pick(blocked: (entry: FairEntry) => boolean, refilled: Set<string> = new Set()): FairEntry | null {
    if (!this.allKeys && (this.keys.size === 0 || this.sinceRefill >= this.pageSize)) this.refillAll();
    let best: FairEntry | null = null;
    let bestPass = 0;
    for (const [key, line] of [...this.keys]) {
      if (line.entries.length === 0 && !line.complete) this.refillKey(key, line);
      if (line.entries.length === 0) {
        this.keys.delete(key);
        continue;
      }
      let entry = line.entries.find((e) => !blocked(e));
      if (!entry && !line.complete && !refilled.has(key)) {
        refilled.add(key);
        this.refillKey(key, line);
        entry = line.entries.find((e) => !blocked(e));
      }
      if (!entry) continue;
      const pass = this.passOf(key);
      if (best === null || better(entry, pass, best, bestPass)) {
        best = entry;
        bestPass = pass;
      }
    }
    if (best === null && !this.allKeys && this.sinceRefill > 0) {
      // Keys not in memory may hold the next task: look once more from storage.
      this.refillAll();
      return this.pick(blocked, refilled);
    }
    return best;
  }

  /** A task of `key` was admitted: the key's pass moves on by 1 / weight. */
  charge(key: string, lane: number): void {
    const pass = this.passOf(key);
    if (lane < 2) this.vtime = Math.max(this.vtime, pass);
    this.pass.set(key, pass + 1 / Math.max(1, this.weight(key)));
    this.sinceRefill++;
  }

  /** A key's pass now (admissions ÷ weight, from when it last joined). */
  passOf(key: string): number {
    return this.pass.get(key) ?? this.vtime;
  }

  /**
   * The waiting keys known in memory with their pass and first task (for "why is it waiting"),
   * refilling first if nothing is known.
   */
  heads(): { key: string; pass: number; first: FairEntry }[] {
    if (!this.allKeys && this.keys.size === 0) this.refillAll();
    const out: { key: string; pass: number; first: FairEntry }[] = [];
    for (const [key, line] of this.keys) {
      const first = line.entries[0];
      if (first) out.push({ key, pass: this.passOf(key), first });
    }
    return out;
  }

  private activate(key: string): void {
    this.pass.set(key, Math.max(this.pass.get(key) ?? 0, this.vtime));
    this.prune();
  }

  /** Keeps the pass table bounded: a pass at or below the virtual time says nothing (exact to drop). */
  private prune(): void {
    if (this.pass.size <= PASSES_KEPT) return;
    for (const [key, pass] of this.pass) if (!this.keys.has(key) && pass <= this.vtime) this.pass.delete(key);
    if (this.pass.size <= PASSES_KEPT) return;
    const idle = [...this.pass].filter(([key]) => !this.keys.has(key)).sort((a, b) => a[1] - b[1]);
    for (const [key] of idle.slice(0, this.pass.size - PASSES_KEPT)) this.pass.delete(key);
  }

  private refillKey(key: string, line: KeyLine): void {
    const limit = this.perKey();
    for (const e of line.entries) this.where.delete(e.name);
    line.entries = this.source.ofKey(key, limit);
    line.complete = line.entries.length < limit;
    for (const e of line.entries) this.where.set(e.name, key);
  }

  private refillAll(): void {
    this.sinceRefill = 0;
    const known = new Set(this.keys.keys());
    this.keys.clear();
    this.where.clear();
    const perKey = Math.max(this.minPerKey, Math.floor(this.pageSize / Math.max(1, known.size)));
    const rows = this.source.ranked(perKey, this.pageSize);
    const hitLimit = rows.length >= this.pageSize;
    const lastRank = rows.at(-1)?.rank ?? 0;
    const counts = new Map<string, number>();
    for (const { rank: _rank, ...entry } of rows) {
      let line = this.keys.get(entry.key);
      if (!line) {
        line = { entries: [], complete: false };
        this.keys.set(entry.key, line);
        if (!known.has(entry.key)) this.activate(entry.key);
      }
      line.entries.push(entry);
      this.where.set(entry.name, entry.key);
      counts.set(entry.key, (counts.get(entry.key) ?? 0) + 1);
    }
    // A key is complete when a rank it lacks was read in full for every key.
    for (const [key, n] of counts) {
      const line = this.keys.get(key) as KeyLine;
      line.complete = n < perKey && (!hitLimit || n < lastRank - 1);
    }
    this.allKeys = !hitLimit || lastRank >= 2;
  }
}

/** Whether `a` (of a key at pass `pa`) goes before `b` (at `pb`) by the rule. */
function better(a: FairEntry, pa: number, b: FairEntry, pb: number): boolean {
  const aNow = a.lane >= 2;
  const bNow = b.lane >= 2;
  if (aNow !== bNow) return aNow;
  if (aNow) return compareLine(a, b) < 0;
  if (pa !== pb) return pa < pb;
  return compareLine(a, b) < 0;
}
