// Helpers for the flow control tests: a method object of its own per test (a name nothing else
// uses, so no other admission pass touches it), tasks inserted and admitted by its own transitions
// at chosen instants, and the slots they hold counted inside the object (atomic samples).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { admit } from "../src/live/dispatch";
import { insertTasks, type NewTask } from "../src/live/enqueue";
import type { Live } from "../src/live/live";
import { checkFlow, resolveFlow, type FlowControl } from "../src/shared/flow";
import { newId } from "../src/shared/ids";

let counter = 0;

/** A method name no other test uses. */
export const freshMethod = (label: string) => `flowtest.${label}.${crypto.randomUUID().slice(0, 8)}`;

/** Runs `fn` on the method's live state in one storage transaction (no admission pass of the object's own). */
export async function inLive<T>(method: string, fn: (live: Live) => T): Promise<T> {
  const stub = env.METHOD_TASKS.getByName(method);
  await stub.summary();
  return runInDurableObject(stub, (instance, state) => {
    const object = instance as unknown as { live: Live };
    return state.storage.transactionSync(() => fn(object.live));
  });
}

/**
 * Gives the method a limit and flow control as its task type (in D1, so a restarted object reads
 * them again), checked like the API checks it. The object admits only when a test asks (admitNow):
 * the file keeps the dispatcher switched off, so the object's own passes admit nothing.
 */
export async function configure(method: string, limit: number, flow: FlowControl | null): Promise<void> {
  if (flow) expect(checkFlow(flow, limit)).toEqual([]);
  await env.DB.prepare(
    `INSERT INTO task_types (method, priority, concurrency_limit, is_standard, updated_at, flow_control)
     VALUES (?1, 0, ?2, 0, ?3, ?4)
     ON CONFLICT (method) DO UPDATE SET concurrency_limit = ?2, updated_at = ?3, flow_control = ?4`,
  )
    .bind(method, limit, Date.now(), flow === null ? null : JSON.stringify(flow))
    .run();
  await inLive(method, (live) => {
    live.settings = { ...live.settings, limit, dispatcherOn: false, flow: resolveFlow(flow) };
  });
}

/** A new Pending task of `method` for `owner` with `args`. */
export function task(method: string, owner: string, args: Record<string, unknown> = {}, extra: Partial<NewTask> = {}) {
  const now = Date.now();
  const name = `${newId(now)}${String(counter++).padStart(4, "0")}`;
  return {
    name,
    jobName: method,
    method,
    documentType: null,
    documentName: null,
    documentAction: null,
    queue: "default",
    timeout: 300,
    priority: 0,
    atFront: false,
    lane: 0,
    arguments: JSON.stringify(args),
    status: "Pending",
    statusMessage: null,
    owner,
    batchId: null,
    batchOrder: 0,
    orderKey: name,
    maxRetries: 0,
    retryDelay: 0,
    retryBackoff: "fixed",
    retryCount: 0,
    runAt: null,
    wakeAt: null,
    dedupeKey: null,
    rerunOf: null,
    flowKeys: null,
    flowOutcome: null,
    createdAt: now,
    queuedAt: null,
    startedAt: null,
    endedAt: null,
    timeTaken: null,
    attempt: 0,
    leaseUntil: null,
    result: null,
    errorMessage: null,
    debugLog: null,
    progress: null,
    jobId: null,
    scheduledJob: null,
    scheduledFor: null,
    traceparent: null,
    tracestate: null,
    ...extra,
  } satisfies NewTask;
}

/** Inserts tasks at `now` (one enqueue call); returns them as inserted. */
export function put(method: string, tasks: NewTask[], now = Date.now()) {
  return inLive(method, (live) => insertTasks(live, tasks, null, now).map((r) => r.task));
}

/** One admission pass at `now` (the dispatcher on for just this pass): the names admitted, in order. */
export function admitNow(method: string, now = Date.now(), cap = 10_000): Promise<string[]> {
  return inLive(method, (live) => {
    live.settings.dispatcherOn = true;
    try {
      return admit(live, now, cap).map((a) => a.name);
    } finally {
      live.settings.dispatcherOn = false;
    }
  });
}

/** Claims admitted tasks as a consumer would (a claims row: they survive a restart as running). */
export async function claimAll(method: string, names: string[]): Promise<void> {
  const { claim } = await import("../src/live/dispatch");
  await inLive(method, (live) => {
    const deliveries = names.map((name) => ({ name, attempt: live.inFlight.get(name)?.attempt ?? 0, id: `m-${name}` }));
    claim(live, deliveries, Date.now());
  });
}

/** Ends running tasks (as a cancel does: the slot is free at once). */
export async function finish(method: string, names: string[]): Promise<void> {
  const { applyAction } = await import("../src/live/actions");
  await inLive(method, (live) => applyAction(live, "cancel", names, { message: "test: done" }, Date.now()));
}

/** The tasks holding a slot now, with their arguments — read inside the object at one instant. */
export function running(method: string): Promise<{ name: string; owner: string; args: Record<string, unknown> }[]> {
  return inLive(method, (live) => {
    const names = [...live.inFlight.values()]
      .filter((a) => a.status === "Queued" || a.status === "Started")
      .map((a) => a.name);
    return live.getMany(names).map((t) => ({
      name: t.name,
      owner: t.owner,
      args: JSON.parse(t.arguments) as Record<string, unknown>,
    }));
  });
}

/** The most tasks with the same value of `pick` in one sample. */
export function maxPerKey<T>(sample: T[], pick: (t: T) => string): number {
  const counts = new Map<string, number>();
  for (const t of sample) counts.set(pick(t), (counts.get(pick(t)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

/** Evicts the method's object (its memory goes; storage stays) — as a restart or deploy does. */
export async function evict(method: string): Promise<void> {
  const { evictDurableObject } = await import("cloudflare:test");
  await evictDurableObject(env.METHOD_TASKS.getByName(method));
}
