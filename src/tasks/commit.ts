// Inserting a group of tasks all or nothing, across methods' objects. One object in one call is
// atomic by itself. Otherwise the insert is two-phase: every object inserts its part held back
// (invisible, out of line), D1 records the commit (in the same transaction as whatever else must
// hold, e.g. a requeue marking its items), and each object releases its part. An object whose held
// part outlives the call asks D1 for the commit: released if it is there, dropped if not — so a
// call that dies half-way leaves either everything or nothing.
import { getDb } from "../db/client";
import type { Inserted, NewTask } from "../live/enqueue";
import { describeError, log } from "../shared/log";
import { enqueueIn, objectOf } from "../live/client";
import { objectOfTaskName } from "../shared/shards";

/** Most JSON bytes of tasks per object call. */
const CALL_BYTES = 4_000_000;

/** What must be written in the commit's transaction, and the condition the commit itself needs. */
export interface CommitStep {
  statements: D1PreparedStatement[];
  /** SQL condition for the commit (parameters numbered from ?4); false: nothing is inserted. */
  guard?: { sql: string; params: unknown[] };
}

/** Splits tasks per method, and each method's into calls of at most CALL_BYTES. */
function calls(tasks: readonly NewTask[]): { method: string; tasks: NewTask[] }[] {
  const byMethod = new Map<string, NewTask[]>();
  for (const task of tasks) {
    const list = byMethod.get(task.method) ?? [];
    list.push(task);
    byMethod.set(task.method, list);
  }
  const out: { method: string; tasks: NewTask[] }[] = [];
  for (const [method, list] of byMethod) {
    let current: NewTask[] = [];
    let size = 0;
    for (const task of list) {
      const bytes = task.arguments.length + 1024;
      if (current.length > 0 && size + bytes > CALL_BYTES) {
        out.push({ method, tasks: current });
        current = [];
        size = 0;
      }
      current.push(task);
      size += bytes;
    }
    if (current.length > 0) out.push({ method, tasks: current });
  }
  return out;
}

/**
 * Inserts `tasks` (which may span methods) all or nothing. Tasks of a batch always take the
 * two-phase path: the commit adds them to the batch's total in the same transaction, so the total
 * is exact before any of them can be seen (and a watcher never sees done == total too early).
 * Returns what each object answered, in the tasks' order — or null when `commit`'s guard did not
 * hold (nothing was inserted).
 */
export async function insertAll(
  env: Env,
  tasks: readonly NewTask[],
  options: { batchId: string | null; pauseRest?: string[]; commit?: CommitStep },
): Promise<Inserted[] | null> {
  const parts = calls(tasks);
  if (parts.length === 0) return [];
  const pauseRest = options.pauseRest;
  const only = parts[0];
  if (parts.length === 1 && only && options.commit === undefined && options.batchId === null) {
    return enqueueIn(env, only.method, only.tasks, { pauseRest });
  }
  const hold = crypto.randomUUID();
  // Every object a part goes to (a sharded method's tasks go to several).
  const objects = [...new Set(tasks.map((t) => objectOfTaskName(t.method, t.name)))];
  const discard = () =>
    Promise.all(
      objects.map((m) =>
        objectOf(env, m, (o) => o.discard(hold)).catch((error: unknown) =>
          log.warn("could not discard held tasks; the object drops them itself", {
            object: m,
            ...describeError(error),
          }),
        ),
      ),
    );
  const byName = new Map<string, Inserted>();
  try {
    for (const part of parts) {
      for (const result of await enqueueIn(env, part.method, part.tasks, { hold, pauseRest })) {
        byName.set(result.task.name, result);
      }
    }
  } catch (error) {
    await discard();
    throw error;
  }
  const db = getDb(env).$client;
  const guard = options.commit?.guard;
  const record = db
    .prepare(`INSERT INTO bulk_commits (token, batch_id, created_at) SELECT ?1, ?2, ?3 WHERE ${guard?.sql ?? "1"}`)
    .bind(hold, options.batchId ?? "", Date.now(), ...(guard?.params ?? []));
  // The batch counts the tasks inserted under their own names (not those a dedupe key answered
  // with an existing task), per method.
  const perMethod: Record<string, number> = {};
  for (const task of tasks) if (byName.has(task.name)) perMethod[task.method] = (perMethod[task.method] ?? 0) + 1;
  const added = Object.values(perMethod).reduce((a, b) => a + b, 0);
  const counted =
    options.batchId === null
      ? []
      : [
          db
            .prepare(
              `UPDATE batches SET total = total + ?1,
                 methods = (SELECT json_group_object(key, n) FROM
                            (SELECT key, sum(value) AS n FROM
                               (SELECT key, value FROM json_each(batches.methods)
                                UNION ALL SELECT key, value FROM json_each(?4))
                             GROUP BY key ORDER BY key))
               WHERE batch_id = ?2 AND EXISTS (SELECT 1 FROM bulk_commits WHERE token = ?3)`,
            )
            .bind(added, options.batchId, hold, JSON.stringify(perMethod)),
        ];
  // If this throws, D1 may still have committed: the objects ask it once their hold is overdue.
  const statements = [...(options.commit?.statements ?? []), record];
  const results = await db.batch([...statements, ...counted]);
  const committed = (results[statements.length - 1]?.meta.changes ?? 0) === 1;
  if (!committed) {
    await discard();
    return null;
  }
  await Promise.all(
    objects.map((m) =>
      objectOf(env, m, (o) => o.release(hold)).catch((error: unknown) =>
        log.warn("could not release held tasks; the object releases them itself", {
          object: m,
          ...describeError(error),
        }),
      ),
    ),
  );
  return tasks.map((t) => byName.get(t.name)).filter((r): r is Inserted => r !== undefined);
}
