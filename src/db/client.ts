// The drizzle client over the D1 binding (counted when METRICS is "on"), memoised per binding.
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { config } from "../shared/config";
import { countingD1 } from "./counting-d1";
import * as schema from "./schema";

/** The drizzle client; `$client` is the D1 binding, for batches of hand-written statements. */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

const clients = new WeakMap<D1Database, { plain?: Db; counted?: Db }>();

/** The drizzle client for this environment's D1 database. */
export function getDb(env: Env): Db {
  const known = clients.get(env.DB) ?? {};
  clients.set(env.DB, known);
  if (config(env).metrics) return (known.counted ??= drizzle(countingD1(env.DB), { schema }));
  return (known.plain ??= drizzle(env.DB, { schema }));
}
