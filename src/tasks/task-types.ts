// Task types (Async Task Type): a method's priority and concurrency limit, kept in D1 and told to
// the method's object at once — a higher limit frees slots, a lower one holds new work back.
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { taskTypes, type TaskTypeRow } from "../db/schema";
import { objectOf } from "../live/client";
import { conflict } from "../shared/errors";

/** Creates or updates a task type, then tells its method's object. */
export async function saveTaskType(
  env: Env,
  method: string,
  fields: { priority?: number; concurrencyLimit?: number; isStandard?: boolean },
): Promise<TaskTypeRow> {
  const set = { ...fields, updatedAt: Date.now() };
  const [row] = await getDb(env)
    .insert(taskTypes)
    .values({ method, ...set })
    .onConflictDoUpdate({ target: taskTypes.method, set })
    .returning();
  if (!row) throw new Error("task type upsert returned nothing");
  await objectOf(env, method, (o) => o.configure({ limit: row.concurrencyLimit, priority: row.priority }));
  return row;
}

/** Deletes a task type (standard ones are protected); its method goes back to no limit, priority 0. */
export async function deleteTaskType(env: Env, row: TaskTypeRow): Promise<void> {
  if (row.isStandard) throw conflict(`task type ${row.method} is standard; set is_standard false first`);
  await getDb(env).delete(taskTypes).where(eq(taskTypes.method, row.method));
  await objectOf(env, row.method, (o) => o.configure({ limit: 0, priority: 0 }));
}
