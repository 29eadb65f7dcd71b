// One method over several Durable Objects (`shards: K`, docs/flow-control.md): how a shard's
// object is named, how a task's name says its shard, and which shard a new task goes to. Pure
// string and number rules, shared by every layer.
import { evaluateKey, keyedRules, type ResolvedFlow } from "./flow";
import { ID_LENGTH } from "./ids";

const OBJECT_NAME = /^(.*)#shard=([1-9][0-9]?)$/;
const TASK_SUFFIX = /_([1-9][0-9]?)$/;

/** The object name of shard `shard` of `method` (shard 0 is the method's own name: one object as before). */
export function shardObjectName(method: string, shard: number): string {
  return shard === 0 ? method : `${method}#shard=${shard}`;
}

/** The method and shard an object name stands for. */
export function parseShardObjectName(name: string): { method: string; shard: number } {
  const match = OBJECT_NAME.exec(name);
  return match ? { method: match[1] as string, shard: Number(match[2]) } : { method: name, shard: 0 };
}

/** The shard a task's name says (a name without a shard suffix belongs to shard 0). */
export function shardOfTask(name: string): number {
  if (name.length <= ID_LENGTH) return 0;
  const match = TASK_SUFFIX.exec(name);
  return match ? Number(match[1]) : 0;
}

/** A task name without its shard suffix (the id and route code). */
export function withoutShard(name: string): string {
  return name.length > ID_LENGTH ? name.replace(TASK_SUFFIX, "") : name;
}

/** The name of a task placed on `shard`. */
export function withShard(name: string, shard: number): string {
  const base = withoutShard(name);
  return shard === 0 ? base : `${base}_${shard}`;
}

/** The object of the task named `name` of `method`. */
export function objectOfTaskName(method: string, name: string): string {
  return shardObjectName(method, shardOfTask(name));
}

/** The object names of a method's shards 0 … count − 1. */
export function shardObjectNames(method: string, count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) => shardObjectName(method, i));
}

/**
 * The one key every keyed rule of `flow` uses (per-key concurrency, throttle, rate limit,
 * debounce, singleton) — the shard key: all of a key value's tasks go to one shard, so those
 * rules stay exact. Null when no rule has a key. (checkFlow refuses shards > 1 with two keys.)
 */
export function shardKey(flow: ResolvedFlow): string | null {
  return keyedRules(flow)[0] ?? null;
}

/** FNV-1a over UTF-16 code units: a stable spread of strings over shards. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The shard of a new task, by one rule that any isolate and the shard itself compute alike: by the
 * shard key's value when the method has keyed rules; else by the owner and dedupe key when it has
 * one (so a dedupe twin is found); else by its name (an even spread, and the same shard again for
 * a name made twice, like a schedule's run). Null when the key is missing from the arguments (the
 * object refuses the task with a 400 naming it).
 */
export function placeTask(
  task: { name: string; owner: string; arguments: Record<string, unknown>; dedupeKey?: string | null },
  flow: ResolvedFlow,
): number | null {
  const shards = flow.shards;
  if (shards <= 1) return 0;
  const key = shardKey(flow);
  if (key !== null) {
    const value = evaluateKey(key, task);
    return typeof value === "string" ? hash(`k:${value}`) % shards : null;
  }
  if (task.dedupeKey) return hash(`d:${task.owner}\u0000${task.dedupeKey}`) % shards;
  return hash(`n:${withoutShard(task.name)}`) % shards;
}
