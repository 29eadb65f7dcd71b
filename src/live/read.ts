// Reading tasks where each read promises what it says: one task by name is exact (its method's
// object holds every live task, the log every ended one it let go); lists read the log.
import { getDb } from "../db/client";
import { rerunsOf } from "../db/reruns";
import { methodOfTask, methodsOfTasks } from "../db/routes";
import { getLoggedTask, getLoggedTasks } from "../db/tasks";
import type { TaskRecord } from "./store";
import { byObject, eachObject, objectOf, objectOfTask } from "./client";

/** The task as it is now, or null when no object and no log has it. */
export async function readTask(env: Env, name: string): Promise<TaskRecord | null> {
  const db = getDb(env);
  const method = await methodOfTask(db, name);
  if (method === null) return null;
  const live = await objectOfTask(env, method, name, (o) => o.get(name));
  return live ?? (await getLoggedTask(db, name));
}

/** Several tasks as they are now (unknown names are left out), in no particular order. */
export async function readTasks(env: Env, names: readonly string[]): Promise<TaskRecord[]> {
  const db = getDb(env);
  const found: TaskRecord[] = [];
  for (const [method, ofMethod] of await methodsOfTasks(db, names)) {
    for (const [object, group] of byObject(method, ofMethod)) {
      const live = await objectOf(env, object, (o) => o.getMany(group));
      found.push(...live);
      const held = new Set(live.map((t) => t.name));
      const rest = group.filter((n) => !held.has(n));
      if (rest.length > 0) found.push(...(await getLoggedTasks(db, rest)));
    }
  }
  return found;
}

/**
 * The newest tasks (up to `limit`) that run `task` again, only `owner`'s when given: the log's, and
 * the live ones of the task's own method, which the log may not have yet — so a "Run again" (same
 * method) is linked at once; a rerun under another method appears once the log has it.
 */
export async function readReruns(env: Env, task: TaskRecord, owner: string | undefined, limit = 10): Promise<string[]> {
  // The object first, then the log: a rerun leaves the object only once the log has it, so one
  // the object no longer holds is in the log by the time the log is read (read together, a rerun
  // that moved in between was in neither answer).
  const live = (await eachObject(env, task.method, (o) => o.reruns(task.name, owner), true)).flat();
  const logged = await rerunsOf(getDb(env), task.name, owner, limit);
  return [...new Set([...logged, ...live])].sort().reverse().slice(0, limit);
}
