// Reaching a method's object: one stub per call (a fresh one on each retry), retrying only what
// the runtime marks retryable. Every object RPC is safe to repeat (inserts are idempotent by name,
// transitions are compare-and-sets), so a retry after a lost answer changes nothing twice.
import { callObject } from "../shared/object-call";

/** The method object's stub type. */
export type MethodObject = DurableObjectStub<import("./object").MethodTasks>;

/** Calls `fn` on the object of `method`, retrying retryable errors with a fresh stub. */
export function objectOf<T>(env: Env, method: string, fn: (object: MethodObject) => Promise<T>): Promise<T> {
  return callObject(() => fn(env.METHOD_TASKS.getByName(method)));
}
