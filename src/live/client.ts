// Reaching a method's object: one stub per call (a fresh one on each retry), retrying only what
// the runtime marks retryable. Every object RPC is safe to repeat (inserts are idempotent by name,
// transitions are compare-and-sets), so a retry after a lost answer changes nothing twice. An
// enqueue the object refused because a task's arguments lack a flow control key (nothing was
// written) comes back as the 400 it is (flow-enqueue.ts).
import { invalid } from "../shared/errors";
import { callObject } from "../shared/object-call";
import type { Inserted, NewTask } from "./enqueue";
import { flowKeyIssue, type EnqueueRefused } from "./flow-enqueue";

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

/** Inserts tasks in the object of `method` (see MethodTasks.enqueue); a refusal is a 400 naming the key. */
export async function enqueueIn(
  env: Env,
  method: string,
  tasks: NewTask[],
  options: { hold?: string; pauseRest?: string[] } = {},
): Promise<Inserted[]> {
  // The stub's type of a union answer is not one the compiler can narrow: it is what enqueue returns.
  const answer = (await objectOf(env, method, (o) => o.enqueue(tasks, options) as unknown as Promise<unknown>)) as
    Inserted[] | EnqueueRefused;
  if ("refused" in answer) {
    const issue = answer.refused;
    throw invalid("flow_key_missing", `${issue.path}: ${issue.message}`, [issue]);
  }
  return answer;
}
