// The method's counters for GET /api/v1/metrics: attempts started, finished, failed, retried,
// canceled, lost and dead-lettered, remote calls, and two histograms (wait before start, run
// time). Counted in memory by the transitions themselves (synchronously, in the same step as the
// compare-and-set), and kept in one meta row that the log writer saves at most once per log
// group, while the object already writes — no row per task, no D1 write at all.
import type { Store } from "./store";

/** Histogram bucket bounds, in seconds (Prometheus `le`), shared by both histograms. */
export const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

/** Counts per bucket (not cumulative; the last is +Inf), the sum of observations and their count. */
export interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** Everything counted; every field only ever grows. */
export interface MethodCounts {
  started: number;
  finished: number;
  /** Failed attempts, whether or not a retry follows. */
  failed: number;
  /** Of those, the ones with no retry left (the task failed for good). */
  failedFinal: number;
  /** Failed or canceled tasks sent back to Pending (automatic retries and manual ones). */
  retried: number;
  canceled: number;
  /** Attempts failed because their worker (or remote) was presumed lost (lease ran out). */
  lost: number;
  deadLetters: number;
  remoteCalls: number;
  remoteFailures: number;
  remoteAuthFailures: number;
  /** From when an attempt could start (enqueued, due, retried, resumed) to its start. */
  wait: Histogram;
  /** Run time of attempts that finished or failed after starting. */
  run: Histogram;
}

const META_KEY = "counters";

const emptyHistogram = (): Histogram => ({ buckets: BUCKETS_S.map(() => 0).concat(0), sum: 0, count: 0 });

/** All zero. */
export function emptyCounts(): MethodCounts {
  return {
    started: 0,
    finished: 0,
    failed: 0,
    failedFinal: 0,
    retried: 0,
    canceled: 0,
    lost: 0,
    deadLetters: 0,
    remoteCalls: 0,
    remoteFailures: 0,
    remoteAuthFailures: 0,
    wait: emptyHistogram(),
    run: emptyHistogram(),
  };
}

type Scalar = Exclude<keyof MethodCounts, "wait" | "run">;

/** The counters of one method's object. With `enabled` false (TASK_METRICS off) nothing is counted or saved. */
export class Counters {
  private counts: MethodCounts = emptyCounts();
  /** Counted since the last save. */
  private unsaved = false;

  constructor(readonly enabled: boolean) {}

  /** Reads the saved counters (after a wake). */
  load(store: Store): void {
    if (!this.enabled) return;
    const saved = store.metaText(META_KEY);
    this.counts =
      saved === null ? emptyCounts() : { ...emptyCounts(), ...(JSON.parse(saved) as Partial<MethodCounts>) };
    this.unsaved = false;
  }

  /** Adds `n` to a counter. */
  add(name: Scalar, n = 1): void {
    if (!this.enabled || n === 0) return;
    this.counts[name] += n;
    this.unsaved = true;
  }

  /** Records one observation (seconds) in a histogram. */
  observe(name: "wait" | "run", seconds: number): void {
    if (!this.enabled || !Number.isFinite(seconds)) return;
    const value = Math.max(0, seconds);
    const h = this.counts[name];
    const i = BUCKETS_S.findIndex((le) => value <= le);
    const at = i === -1 ? BUCKETS_S.length : i;
    h.buckets[at] = (h.buckets[at] ?? 0) + 1;
    h.sum += value;
    h.count += 1;
    this.unsaved = true;
  }

  /** Saves the counters if anything was counted since the last save (one meta row). */
  save(store: Store): void {
    if (!this.unsaved) return;
    store.setMeta(META_KEY, JSON.stringify(this.counts));
    this.unsaved = false;
  }

  /** Whether something was counted since the last save. */
  owesSave(): boolean {
    return this.unsaved;
  }

  /** A copy of the counters now. */
  read(): MethodCounts {
    return structuredClone(this.counts);
  }
}
