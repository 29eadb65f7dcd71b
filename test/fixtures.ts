// Fixture builders: tasks in the states that failures leave behind — built inside the method's
// object by its own transitions (inserted, admitted without sending, claimed without a consumer) —
// rows written straight to the log (what a database from before the objects, or a lost object row,
// looks like), and direct calls of the Worker's queue and scheduled handlers.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { getDb } from "../src/db/client";
import { routeCode } from "../src/db/routes";
import { tasks, type NewTaskRow, type TaskRow } from "../src/db/schema";
import { admit, claim } from "../src/live/dispatch";
import { insertTasks, type NewTask } from "../src/live/enqueue";
import type { Live } from "../src/live/live";
import type { TaskRecord } from "../src/live/store";
import { newId } from "../src/shared/ids";

/** Inserts a row into the task log as-is (no object involved): a legacy or lost task. */
export async function insertTaskRow(overrides: Partial<NewTaskRow> = {}): Promise<TaskRow> {
  const now = Date.now();
  const method = overrides.method ?? "demo.sleep";
  const name = overrides.name ?? newId(now);
  const row: NewTaskRow = {
    name,
    orderKey: name,
    jobName: method,
    method,
    queue: "default",
    timeout: 300,
    arguments: JSON.stringify({ ms: 1 }),
    status: "Pending",
    owner: "Administrator",
    createdAt: now,
    ...overrides,
  };
  const [inserted] = await getDb(env).insert(tasks).values(row).returning();
  if (!inserted) throw new Error("insert failed");
  return inserted;
}

/** A new Pending task of `method` as enqueue builds it (its name carries the route code). */
async function newTask(method: string, overrides: Partial<NewTask>): Promise<NewTask> {
  const now = Date.now();
  const name = newId(now) + (await routeCode(getDb(env), method));
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
    arguments: "{}",
    status: "Pending",
    statusMessage: null,
    owner: "Administrator",
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
    ...overrides,
  };
}

/**
 * Runs `fn` on the method's object state as one storage transaction, then lets the object do what
 * it does after any transition (arm its alarm, schedule its log write) — but no admission pass.
 */
async function inObject<T>(method: string, fn: (live: Live) => T): Promise<T> {
  const stub = env.METHOD_TASKS.getByName(method);
  // A first call wakes the object (and lets it read its settings) before its state is touched.
  await stub.summary();
  return runInDurableObject(stub, (instance, state) => {
    const object = instance as unknown as { live: Live; afterChange(mayAdmit: boolean): void };
    const result = state.storage.transactionSync(() => fn(object.live));
    object.afterChange(false);
    return result;
  });
}

/**
 * Named scenarios of tasks that a failure left in flight, built in the object: inserted, admitted
 * (attempt 1) without its message ever being sent, and — for a vanished worker — claimed by a
 * consumer that never reports. The leases can be put in the past.
 */
export const scenarios = {
  /** Queued for attempt 1, its message never sent (or lost); `leaseUntil` when it is presumed lost. */
  async queued(method: string, overrides: Partial<NewTask> = {}, leaseUntil?: number): Promise<TaskRecord> {
    const task = await newTask(method, overrides);
    return inObject(method, (live) => {
      insertTasks(live, [task], null, Date.now());
      live.line.reset();
      const admitted = admit(live, Date.now(), 1_000).find((a) => a.name === task.name);
      if (!admitted) throw new Error(`${task.name} was not admitted (limit or dispatcher?)`);
      if (leaseUntil !== undefined) admitted.leaseUntil = leaseUntil;
      const now = live.get(task.name);
      if (!now) throw new Error("vanished");
      return now;
    });
  },
  /** Started for attempt 1 on a worker that vanished: no outcome will come; `leaseUntil` its lease. */
  async startedOnVanishedWorker(
    method: string,
    overrides: Partial<NewTask> = {},
    leaseUntil?: number,
  ): Promise<TaskRecord> {
    const queued = await scenarios.queued(method, overrides);
    return inObject(method, (live) => {
      const [started] = claim(
        live,
        [{ name: queued.name, attempt: queued.attempt, id: `vanished-${queued.name}` }],
        Date.now(),
      );
      if (!started) throw new Error(`${queued.name} could not be claimed`);
      const attempt = live.inFlight.get(started.name);
      if (attempt && leaseUntil !== undefined) attempt.leaseUntil = leaseUntil;
      return started;
    });
  },
};

/** The queue message the object would send for an attempt. */
export const messageFor = (task: { name: string; method: string; attempt: number }) => ({
  method: task.method,
  tasks: [{ name: task.name, attempt: task.attempt }],
});

/** Delivers messages to the Worker's queue handler, as the queue would, and returns ack/retry state. */
export async function deliver(queue: string, messages: { id: string; body: unknown; attempts?: number }[]) {
  const batch = createMessageBatch(
    queue,
    messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** Runs the minute cron once and waits for it. */
export async function runCron(at = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}
