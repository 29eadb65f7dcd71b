// Route codes: the end of every new task's name says which method's object owns it, so a request
// that has only a name (GET /tasks/{name}, a cancel, a callback) reaches the object without asking
// the log. A code is a prefix of the method's SHA-256 in base32, registered once in D1 (a longer
// prefix on the rare collision) and cached per isolate for good: the mapping never changes.
import { eq, sql } from "drizzle-orm";
import { ID_LENGTH, ROUTE_CODE_MAX, ROUTE_CODE_MIN } from "../shared/ids";
import { withoutShard } from "../shared/shards";
import type { Db } from "./client";
import { inJson } from "./in-json";
import { methodRoutes, tasks } from "./schema";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

const codeOfMethod = new Map<string, string>();
const methodOfCode = new Map<string, string>();

function remember(code: string, method: string): void {
  codeOfMethod.set(method, code);
  methodOfCode.set(code, method);
}

async function hashCode(method: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(method)));
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of digest) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < ROUTE_CODE_MAX) {
      bits -= 5;
      out += ALPHABET.charAt((buffer >> bits) & 31);
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** The method's route code, registering it the first time any isolate sees the method. */
export async function routeCode(db: Db, method: string): Promise<string> {
  const known = codeOfMethod.get(method);
  if (known !== undefined) return known;
  const [existing] = await db.select().from(methodRoutes).where(eq(methodRoutes.method, method));
  if (existing) {
    remember(existing.code, method);
    return existing.code;
  }
  const hash = await hashCode(method);
  for (let length = ROUTE_CODE_MIN; length <= ROUTE_CODE_MAX; length++) {
    const code = hash.slice(0, length);
    await db.insert(methodRoutes).values({ code, method, createdAt: Date.now() }).onConflictDoNothing();
    const [row] = await db.select().from(methodRoutes).where(eq(methodRoutes.method, method));
    if (row) {
      remember(row.code, method);
      return row.code;
    }
    // Another method holds this prefix: try a longer one.
  }
  throw new Error(`no free route code for method ${method}`);
}

const knownShards = new Map<string, number>();

/**
 * Makes sure the method's shard high-water mark is at least `count` before a task is placed on a
 * shard below it (once per isolate per value: the mark only grows).
 */
export async function raiseShards(db: Db, method: string, count: number): Promise<void> {
  if ((knownShards.get(method) ?? 1) >= count) return;
  await routeCode(db, method);
  await db
    .update(methodRoutes)
    .set({ shards: sql`max(${methodRoutes.shards}, ${count})` })
    .where(eq(methodRoutes.method, method));
  knownShards.set(method, count);
}

/**
 * How many shard objects `method` has ever had, as this isolate last read or raised it within
 * `maxAgeMs` (else read now). Only for reads that may miss a shard made in the last seconds.
 */
export async function shardCountRecent(db: Db, method: string, maxAgeMs = 10_000): Promise<number> {
  const seen = shardsReadAt.get(method);
  if (seen !== undefined && seen > Date.now() - maxAgeMs) return knownShards.get(method) ?? 1;
  return shardCount(db, method);
}

const shardsReadAt = new Map<string, number>();

/** How many shard objects `method` has ever had (read now: a fan-out must reach every one). */
export async function shardCount(db: Db, method: string): Promise<number> {
  const [row] = await db
    .select({ shards: methodRoutes.shards })
    .from(methodRoutes)
    .where(eq(methodRoutes.method, method));
  const count = row?.shards ?? 1;
  knownShards.set(method, Math.max(knownShards.get(method) ?? 1, count));
  shardsReadAt.set(method, Date.now());
  return count;
}

/**
 * The method whose object owns task `name`: by its route code, or — for a name from before route
 * codes — by the log. Null when neither knows it.
 */
export async function methodOfTask(db: Db, name: string): Promise<string | null> {
  if (name.length > ID_LENGTH) {
    const code = withoutShard(name).slice(ID_LENGTH);
    const cached = methodOfCode.get(code);
    if (cached !== undefined) return cached;
    const [row] = await db.select().from(methodRoutes).where(eq(methodRoutes.code, code));
    if (!row) return null;
    remember(row.code, row.method);
    return row.method;
  }
  const [row] = await db.select({ method: tasks.method }).from(tasks).where(eq(tasks.name, name));
  return row?.method ?? null;
}

/** The methods of several task names, grouped: method → names (unknown names are left out). */
export async function methodsOfTasks(db: Db, names: readonly string[]): Promise<Map<string, string[]>> {
  const byMethod = new Map<string, string[]>();
  const add = (method: string, name: string) => {
    const list = byMethod.get(method) ?? [];
    list.push(name);
    byMethod.set(method, list);
  };
  const unique = [...new Set(names)];
  const legacy = unique.filter((name) => name.length <= ID_LENGTH);
  for (const name of unique) {
    if (name.length <= ID_LENGTH) continue;
    const method = await methodOfTask(db, name);
    if (method !== null) add(method, name);
  }
  if (legacy.length > 0) {
    const rows = await db
      .select({ name: tasks.name, method: tasks.method })
      .from(tasks)
      .where(inJson(tasks.name, legacy));
    for (const row of rows) add(row.method, row.name);
  }
  return byMethod;
}
