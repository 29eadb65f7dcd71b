// The statistics every bench script shares (bench/*.mjs): percentiles, summaries, rounding, ratios and
// a bounded pool of concurrent calls. One definition each, so every figure in docs/benchmarks.md is
// computed the same way.

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `x` rounded to `digits` decimals; null, undefined and non-finite values become null. */
export function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  return Number(x.toFixed(digits));
}

/** Nearest-rank percentile (p in 0–100) of an ascending array; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The finite values of `values`, ascending (a copy). */
export function sorted(values) {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** Nearest-rank percentile of an unsorted list (non-finite values ignored). */
export function percentileOf(values, p) {
  return percentile(sorted(values), p);
}

/** p50, p99, max and count of the finite values. */
export function summary(values) {
  const s = sorted(values);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? null, n: s.length };
}

/** `summary` with the percentiles rounded (whole milliseconds by default). */
export function roundSummary(values, digits = 0) {
  const s = summary(values);
  return { p50: round(s.p50, digits), p99: round(s.p99, digits), max: round(s.max, digits), n: s.n };
}

/** Smallest / largest of a (possibly very long) list; spreading it into Math.min would overflow the stack. */
export function minOf(values) {
  return values.reduce((a, b) => (b < a ? b : a), Infinity);
}

export function maxOf(values) {
  return values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

/** Σ f(x) over the list. */
export function sumOf(list, f = (x) => x) {
  return list.reduce((a, x) => a + f(x), 0);
}

/** a / b rounded, or null when either is missing or b is 0. */
export function ratio(a, b, digits = 3) {
  if (a === null || b === null || a === undefined || b === undefined || b === 0) return null;
  return round(a / b, digits);
}

/** Runs `fn(i)` for i in [0, n) with at most `parallel` calls in flight. */
export async function pool(n, parallel, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

/** The most intervals ({ start, end }) open at one instant; an end at a start's instant does not overlap it. */
export function maxOverlap(intervals) {
  const events = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of events) {
    open += e.d;
    most = Math.max(most, open);
  }
  return most;
}
