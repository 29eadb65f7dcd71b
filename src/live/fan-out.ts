// Figures of a whole method read from every one of its objects (a sharded method has several;
// shared/shards.ts) and added up: the ops summary, the metrics' telemetry and flow usage.
import { eachObject } from "./client";
import type { MethodCounts } from "./counters";
import type { FlowUsage } from "./flow-usage";
import type { MethodTelemetry } from "./object";

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function earliest(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.min(...known);
}

function addRecords<K extends string>(records: Record<K, number>[]): Record<K, number> {
  const out = { ...(records[0] as Record<K, number>) };
  for (const record of records.slice(1)) {
    for (const key of Object.keys(record) as K[]) out[key] = (out[key] ?? 0) + record[key];
  }
  return out;
}

function addCounts(all: MethodCounts[]): MethodCounts {
  const first = all[0] as MethodCounts;
  if (all.length === 1) return first;
  const out = structuredClone(first);
  for (const c of all.slice(1)) {
    for (const key of Object.keys(c) as (keyof MethodCounts)[]) {
      const value = c[key];
      if (typeof value === "number") (out[key] as number) += value;
    }
    for (const h of ["wait", "run"] as const) {
      out[h].sum += c[h].sum;
      out[h].count += c[h].count;
      out[h].buckets = out[h].buckets.map((n, i) => n + (c[h].buckets[i] ?? 0));
    }
  }
  return out;
}

/** The method's live tasks by status and its flow figures, over all its objects. */
export async function methodSummary(env: Env, method: string) {
  const parts = await eachObject(env, method, (o) => o.summary());
  const first = parts[0] as (typeof parts)[number];
  return {
    counts: addRecords(parts.map((p) => p.counts)),
    delayed: sum(parts.map((p) => p.delayed)),
    oldestPendingAt: earliest(parts.map((p) => p.oldestPendingAt)),
    limit: first.limit,
    running: sum(parts.map((p) => p.running)),
    throttled: sum(parts.map((p) => p.throttled)),
    rateLimited: sum(parts.map((p) => p.rateLimited)),
  };
}

/** What GET /api/v1/metrics reads of a method, over all its objects. */
export async function methodTelemetry(env: Env, method: string): Promise<MethodTelemetry> {
  const parts = await eachObject(env, method, (o) => o.telemetry());
  const first = parts[0] as MethodTelemetry;
  return {
    counts: addCounts(parts.map((p) => p.counts)),
    states: addRecords(parts.map((p) => p.states)),
    oldestWaitingSince: earliest(parts.map((p) => p.oldestWaitingSince)),
    limit: first.limit,
    running: sum(parts.map((p) => p.running)),
    throttled: sum(parts.map((p) => p.throttled)),
    rateLimited: sum(parts.map((p) => p.rateLimited)),
  };
}

/** One shard's part of a sharded method (flow usage). */
export interface ShardUsage {
  shard: number;
  running: number;
  /** Slots of the method's limit it holds now (null: the method is unlimited). */
  slots: number | null;
}

/**
 * Flow control in use now over all the method's objects (per-key figures are each one shard's: a
 * key value lives in one shard) and, for a sharded method, each shard's running tasks and slots.
 */
export async function methodFlowUsage(
  env: Env,
  method: string,
): Promise<FlowUsage & { limit: number; running: number; shards: ShardUsage[] }> {
  const parts = await eachObject(env, method, (o) => o.flowUsage());
  const first = parts[0] as (typeof parts)[number];
  const waiting = new Map<string, number>();
  for (const p of parts) for (const w of p.waiting) waiting.set(w.fair_key, (waiting.get(w.fair_key) ?? 0) + w.waiting);
  return {
    keys: parts
      .flatMap((p) => p.keys)
      .sort((a, b) => b.running - a.running)
      .slice(0, 50),
    singletons: parts.flatMap((p) => p.singletons).slice(0, 50),
    throttles: parts.flatMap((p) => p.throttles).slice(0, 50),
    waiting: [...waiting]
      .map(([fair_key, n]) => ({ fair_key, waiting: n }))
      .sort((a, b) => b.waiting - a.waiting)
      .slice(0, 50),
    throttled: sum(parts.map((p) => p.throttled)),
    rate_limited: sum(parts.map((p) => p.rate_limited)),
    limit: first.limit,
    running: sum(parts.map((p) => p.running)),
    shards: parts.length > 1 ? parts.map((p, shard) => ({ shard, running: p.running, slots: p.slots })) : [],
  };
}
