// Reading tasks where each read promises what it says: one task by name is exact (its method's
// object holds every live task, the log every ended one it let go); lists read the log.
import { getDb } from "../db/client";
import { methodOfTask, methodsOfTasks } from "../db/routes";
import { getLoggedTask, getLoggedTasks } from "../db/tasks";
import type { TaskRecord } from "./store";
import { objectOf } from "./client";

/** The task as it is now, or null when no object and no log has it. */
export async function readTask(env: Env, name: string): Promise<TaskRecord | null> {
  const db = getDb(env);
  const method = await methodOfTask(db, name);
  if (method === null) return null;
  const live = await objectOf(env, method, (o) => o.get(name));
  return live ?? (await getLoggedTask(db, name));
}

/** Several tasks as they are now (unknown names are left out), in no particular order. */
export async function readTasks(env: Env, names: readonly string[]): Promise<TaskRecord[]> {
  const db = getDb(env);
  const found: TaskRecord[] = [];
  for (const [method, group] of await methodsOfTasks(db, names)) {
    const live = await objectOf(env, method, (o) => o.getMany(group));
    found.push(...live);
    const held = new Set(live.map((t) => t.name));
    const rest = group.filter((n) => !held.has(n));
    if (rest.length > 0) found.push(...(await getLoggedTasks(db, rest)));
  }
  return found;
}
