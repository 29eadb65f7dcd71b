// Reaching a method's objects: one stub per call (a fresh one on each retry), retrying only what
// the runtime marks retryable. Every object RPC is safe to repeat (inserts are idempotent by name,
// transitions are compare-and-sets), so a retry after a lost answer changes nothing twice. An
// enqueue the object refused because a task's arguments lack a flow control key (nothing was
// written) comes back as the 400 it is (flow-enqueue.ts).
//
// A method with `shards: K` has K objects (shared/shards.ts): a task's name says its shard, so a
// call about one task goes to one object; a call about the whole method goes to every shard the
// method has ever had (`eachObject`).
import { getDb } from "../db/client";
import { readFlowControl } from "../db/live-log";
import { raiseShards, shardCount, shardCountRecent } from "../db/routes";
import { DomainError, invalid } from "../shared/errors";
import { argumentsObject } from "../shared/json";
import type { ResolvedFlow } from "../shared/flow";
import { callObject } from "../shared/object-call";
import {
  objectOfTaskName,
  placeTask,
  shardObjectName,
  shardObjectNames,
  shardOfTask,
  withShard,
} from "../shared/shards";
import type { EnqueueMisplaced, Inserted, NewTask } from "./enqueue";
import { flowKeyIssue, type EnqueueRefused } from "./flow-enqueue";
import { methodFlow } from "./settle";

/** The stub type of a method's object (any shard). */
export type MethodObject = DurableObjectStub<import("./object").MethodTasks>;

/**
 * Calls `fn` on the object named `object` — a method's name (its one object, or shard 0) or a
 * shard's object name — retrying retryable errors with a fresh stub.
 */
export async function objectOf<T>(env: Env, object: string, fn: (object: MethodObject) => Promise<T>): Promise<T> {
  try {
    return await callObject(() => fn(env.METHOD_TASKS.getByName(object)));
  } catch (error) {
    const issue = flowKeyIssue(error);
    if (issue) throw invalid("flow_key_missing", `${issue.path}: ${issue.message}`, [issue]);
    throw error;
  }
}

/** Calls `fn` on the object that holds task `name` of `method`. */
export function objectOfTask<T>(
  env: Env,
  method: string,
  name: string,
  fn: (object: MethodObject) => Promise<T>,
): Promise<T> {
  return objectOf(env, objectOfTaskName(method, name), fn);
}

/**
 * Calls `fn` on every object of `method` (each shard it has ever had), in shard order. `recent`:
 * a shard count this isolate read in the last seconds will do (a read that may miss a shard made
 * meanwhile); otherwise it is read now.
 */
export async function eachObject<T>(
  env: Env,
  method: string,
  fn: (object: MethodObject) => Promise<T>,
  recent = false,
): Promise<T[]> {
  const db = getDb(env);
  const count = recent ? await shardCountRecent(db, method) : await shardCount(db, method);
  const names = shardObjectNames(method, count);
  return Promise.all(names.map((name) => objectOf(env, name, fn)));
}

/** Groups task names by the object of `method` that holds them. */
export function byObject(method: string, names: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of names) {
    const object = objectOfTaskName(method, name);
    const list = out.get(object) ?? [];
    list.push(name);
    out.set(object, list);
  }
  return out;
}

/** How long an isolate places new tasks by the flow settings it read (a shard checks the placement). */
const PLACEMENT_TTL_MS = 10_000;
const placement = new Map<string, { flow: ResolvedFlow; until: number }>();

/** This isolate changed the method's settings: it places by the new ones from now on. */
export function forgetPlacement(method: string): void {
  placement.delete(method);
}

async function flowForPlacement(env: Env, method: string): Promise<ResolvedFlow> {
  const now = Date.now();
  const known = placement.get(method);
  if (known && known.until > now) return known.flow;
  const flow = methodFlow(method, await readFlowControl(getDb(env), method));
  placement.set(method, { flow, until: now + PLACEMENT_TTL_MS });
  return flow;
}

/**
 * Gives each new task its shard (its name's suffix; shared/shards.ts placeTask) by the method's
 * flow settings — a method with one shard keeps names as they are — and makes sure the method's
 * shard count covers it before any task reaches a new shard.
 */
export async function placeTasks(env: Env, tasks: readonly NewTask[]): Promise<NewTask[]> {
  const flows = new Map<string, ResolvedFlow>();
  for (const method of new Set(tasks.map((t) => t.method))) {
    const flow = await flowForPlacement(env, method);
    flows.set(method, flow);
    if (flow.shards > 1) await raiseShards(getDb(env), method, flow.shards);
  }
  return tasks.map((task) => {
    const flow = flows.get(task.method) as ResolvedFlow;
    if (flow.shards <= 1) return task;
    const shard = placeTask({ ...task, arguments: argumentsObject(task.arguments) }, flow);
    // A missing key: shard 0 refuses the task with a 400 naming it (or ends a scheduled run).
    return { ...task, name: withShard(task.name, shard ?? 0) };
  });
}

/**
 * Inserts tasks in the objects of `method` that their names place them in (see
 * MethodTasks.enqueue); a refusal is a 400 naming the key. A shard that would place a task
 * elsewhere (this isolate read the method's shard settings before they changed) refuses it: a
 * 503 to try again, by which time this isolate reads them afresh.
 */
export async function enqueueIn(
  env: Env,
  method: string,
  tasks: NewTask[],
  options: { hold?: string; pauseRest?: string[] } = {},
): Promise<Inserted[]> {
  const byShard = new Map<number, NewTask[]>();
  for (const task of tasks) {
    const shard = shardOfTask(task.name);
    const list = byShard.get(shard) ?? [];
    list.push(task);
    byShard.set(shard, list);
  }
  const byName = new Map<string, Inserted>();
  for (const [shard, list] of byShard) {
    // The stub's type of a union answer is not one the compiler can narrow: it is what enqueue returns.
    const answer = (await objectOf(
      env,
      shardObjectName(method, shard),
      (o) => o.enqueue(list, options) as unknown as Promise<unknown>,
    )) as Inserted[] | EnqueueRefused | EnqueueMisplaced;
    if ("refused" in answer) {
      const issue = answer.refused;
      throw invalid("flow_key_missing", `${issue.path}: ${issue.message}`, [issue]);
    }
    if ("misplaced" in answer) {
      forgetPlacement(method);
      throw new DomainError(
        "unavailable",
        "shards_changed",
        `${method}'s shards changed a moment ago: send the request again`,
        null,
        1,
      );
    }
    list.forEach((task, i) => {
      const result = answer[i];
      if (result) byName.set(task.name, result);
    });
  }
  return tasks.map((t) => byName.get(t.name)).filter((r): r is Inserted => r !== undefined);
}
