// Reaching a method's object: one stub per call (a fresh one on each retry), retrying only what
// the runtime marks retryable. Every object RPC is safe to repeat (inserts are idempotent by name,
// transitions are compare-and-sets), so a retry after a lost answer changes nothing twice. A task
// whose arguments lack a flow control key comes back as the 400 it is (flow-enqueue.ts).
import { invalid } from "../shared/errors";
import { callObject } from "../shared/object-call";
import { flowKeyIssue } from "./flow-enqueue";

/** The method object's stub type. */
export type MethodObject = DurableObjectStub<import("./object").MethodTasks>;

/** Calls `fn` on the object of `method`, retrying retryable errors with a fresh stub. */
export async function objectOf<T>(env: Env, method: string, fn: (object: MethodObject) => Promise<T>): Promise<T> {
  try {
    return await callObject(() => fn(env.METHOD_TASKS.getByName(method)));
  } catch (error) {
    const issue = flowKeyIssue(error);
    if (issue) throw invalid("flow_key_missing", `${issue.path}: ${issue.message}`, [issue]);
    throw error;
  }
}
