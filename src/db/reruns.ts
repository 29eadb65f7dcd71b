// "Run again" links: which tasks repeat a given task (read on the tasks_rerun_of partial index).
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { tasks } from "./schema";

/** The newest tasks (up to `limit`) that run `name` again; only `owner`'s when given. */
export async function rerunsOf(db: Db, name: string, owner: string | undefined, limit = 10): Promise<string[]> {
  const rows = await db
    .select({ name: tasks.name })
    .from(tasks)
    .where(and(eq(tasks.rerunOf, name), owner === undefined ? undefined : eq(tasks.owner, owner)))
    .orderBy(desc(tasks.name))
    .limit(limit);
  return rows.map((r) => r.name);
}
