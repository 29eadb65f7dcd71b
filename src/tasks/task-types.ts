// Task types (Async Task Type): a method's priority and concurrency limit, kept in D1 and told to
// the method's object at once — a higher limit frees slots, a lower one holds new work back.
import { eq } from "drizzle-orm";
import { registry } from "../catalog";
import { getDb } from "../db/client";
import { taskTypes, type TaskTypeRow } from "../db/schema";
import { objectOf } from "../live/client";
import { methodFlow } from "../live/settle";
import { conflict, invalid } from "../shared/errors";
import { checkFlow, type FlowControl } from "../shared/flow";

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
  await objectOf(env, method, (o) => o.configure({ limit: row.concurrencyLimit, priority: row.priority, flow }));
  return row;
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
  await getDb(env).delete(taskTypes).where(eq(taskTypes.method, row.method));
  await objectOf(env, row.method, (o) => o.configure({ limit: 0, priority: 0, flow: methodFlow(row.method, null) }));
}
