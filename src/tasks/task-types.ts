// Task types (Async Task Type): a method's priority and concurrency limit, kept in D1 and told to
// the method's object at once — a higher limit frees slots, a lower one holds new work back.
import { eq } from "drizzle-orm";
import { registry } from "../catalog";
import { getDb } from "../db/client";
import { taskTypes, type TaskTypeRow } from "../db/schema";
import { eachObject, forgetPlacement } from "../live/client";
import { methodSummary } from "../live/fan-out";
import { raiseShards, shardCount } from "../db/routes";
import { shardKey } from "../shared/shards";
import { methodFlow } from "../live/settle";
import { conflict, invalid } from "../shared/errors";
import { checkFlow, resolveFlow, type FlowControl } from "../shared/flow";

/** Creates or updates a task type, then tells its method's object. */
export async function saveTaskType(
  env: Env,
  method: string,
  input: { priority?: number; concurrencyLimit?: number; isStandard?: boolean; flowControl?: unknown },
): Promise<TaskTypeRow> {
  const { flowControl, ...fields } = input;
  const db = getDb(env);
  if (flowControl !== undefined && flowControl !== null) {
    // Checked against the limit it will stand beside (the new one, else the stored one).
    const [current] = await db.select().from(taskTypes).where(eq(taskTypes.method, method));
    const limit = fields.concurrencyLimit ?? current?.concurrencyLimit ?? 0;
    const issues = checkFlow(flowControl, limit);
    if (issues.length > 0) throw flowInvalid(issues);
    await refuseBusyReshard(env, method, current ?? null, flowControl);
  } else if (fields.concurrencyLimit !== undefined && fields.concurrencyLimit > 0) {
    // A lower method limit must not leave a per-key limit above it.
    const [current] = await db.select().from(taskTypes).where(eq(taskTypes.method, method));
    if (current?.flowControl) {
      const issues = checkFlow(JSON.parse(current.flowControl), fields.concurrencyLimit);
      if (issues.length > 0) throw flowInvalid(issues);
    }
  }
  const set = {
    ...fields,
    ...(flowControl !== undefined && { flowControl: flowControl === null ? null : JSON.stringify(flowControl) }),
    updatedAt: Date.now(),
  };
  const [row] = await getDb(env)
    .insert(taskTypes)
    .values({ method, ...set })
    .onConflictDoUpdate({ target: taskTypes.method, set })
    .returning();
  if (!row) throw new Error("task type upsert returned nothing");
  const flow = methodFlow(method, row.flowControl);
  forgetPlacement(method);
  // More shards: the high-water mark first, so every fan-out (this one too) reaches the new ones.
  if (flow.shards > 1) await raiseShards(db, method, flow.shards);
  const shardObjects = await shardCount(db, method);
  await eachObject(env, method, (o) =>
    o.configure({ limit: row.concurrencyLimit, priority: row.priority, flow, shardObjects }),
  );
  return row;
}

/**
 * Changing how a method with keyed rules is spread (its shard count or shard key) while it has
 * live tasks would split a key value's tasks over two shards, and its per-key rules would no
 * longer be exact: a 409 until the method is drained (pause the dispatcher or wait).
 */
async function refuseBusyReshard(
  env: Env,
  method: string,
  current: TaskTypeRow | null,
  next: FlowControl,
): Promise<void> {
  const before = methodFlow(method, current?.flowControl ?? null);
  const after = resolveFlow(next);
  if (Math.max(before.shards, after.shards) <= 1) return;
  if (before.shards === after.shards && shardKey(before) === shardKey(after)) return;
  if (shardKey(after) === null && shardKey(before) === null) return;
  const summary = await methodSummary(env, method);
  const live = Object.values(summary.counts).reduce((a, b) => a + b, 0) + summary.delayed;
  if (live > 0)
    throw conflict(
      `${method} has ${live} live tasks: its shards or shard key can change only when none is live (each key value's tasks must stay in one shard)`,
      { live },
      "shards_busy",
    );
}

/** A 400 naming the first bad field (all of them in details). */
function flowInvalid(issues: { path: string; message: string }[]) {
  const [first] = issues;
  return invalid("invalid_flow_control", `${first?.path}: ${first?.message}`, issues);
}

/** The flow control a method's object admits by, as settings (the task type's, else the code's). */
export function effectiveFlowControl(method: string, row: Pick<TaskTypeRow, "flowControl"> | null): FlowControl | null {
  if (row?.flowControl) return JSON.parse(row.flowControl) as FlowControl;
  return registry.flowOf(method) ?? null;
}

/** Deletes a task type (standard ones are protected); its method goes back to no limit, priority 0. */
export async function deleteTaskType(env: Env, row: TaskTypeRow): Promise<void> {
  if (row.isStandard) throw conflict(`task type ${row.method} is standard; set is_standard false first`);
  await refuseBusyReshard(env, row.method, row, registry.flowOf(row.method) ?? {});
  await getDb(env).delete(taskTypes).where(eq(taskTypes.method, row.method));
  forgetPlacement(row.method);
  await eachObject(env, row.method, (o) => o.configure({ limit: 0, priority: 0, flow: methodFlow(row.method, null) }));
}
