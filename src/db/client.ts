// The drizzle client over the (counted) D1 binding, memoised per binding.
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import { countingD1 } from "./counting-d1";
import * as schema from "./schema";

/** The drizzle client; `$client` is the (counted) D1 binding, for batches of hand-written statements. */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

const clients = new WeakMap<D1Database, Db>();

/** The drizzle client for this environment's D1 database. */
export function getDb(env: { DB: D1Database }): Db {
  let db = clients.get(env.DB);
  if (!db) {
    db = drizzle(countingD1(env.DB), { schema });
    clients.set(env.DB, db);
  }
  return db;
}
