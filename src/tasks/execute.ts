// The queue consumer: claims a task attempt (Queued → Started), runs its handler with a timeout and
// an AbortSignal, records the outcome, and wakes the method's scheduler to fill the freed slot.
import { eq } from "drizzle-orm";
import { getDb, type Db } from "../db/client";
import { tasks, type TaskRow } from "../db/schema";
import { coalescingWaker, wakeScheduler } from "../dispatch/wake";
import { config, type Config } from "../lib/config";
import { describeError, log } from "../lib/log";
import { sleep } from "../lib/sleep";
import { registry } from "../methods";
import { PermanentError, type TaskContext } from "../methods/registry";
import { DebugLog, ProgressWriter } from "./attempt-context";
import { claimTasks, failTask, finishTask, recordCanceledAttempt, type Delivery, type WatchedTask } from "./lifecycle";
import { TaskMessage } from "./messages";
import { publishTaskEvents } from "../realtime/events";
import type { QueueName } from "./states";

const RESULT_MAX_BYTES = 64 * 1024;

/** The signal reason when a task is canceled while running. */
export class CanceledError extends Error {
  override name = "CanceledError";
}

/** The signal reason when a task runs past its timeout. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

type Outcome =
  | { kind: "finished"; result: string | null }
  | { kind: "failed"; error: string; permanent: boolean }
  | { kind: "canceled" };

/**
 * Handles one batch from the short/default/long queues: claims every message's task in one
 * statement, runs the claimed ones concurrently, and acknowledges every message explicitly.
 */
export async function consumeTaskBatch(batch: MessageBatch, env: Env): Promise<void> {
  const deliveries: (Delivery & { message: Message })[] = [];
  for (const message of batch.messages) {
    const parsed = TaskMessage.safeParse(message.body);
    if (parsed.success) {
      deliveries.push({ ...parsed.data, id: message.id, message });
    } else {
      log.error("malformed task message dropped", { id: message.id, body: message.body });
      message.ack();
    }
  }
  const db = getDb(env);
  const cfg = config(env);
  let claimed: WatchedTask[];
  try {
    claimed = await claimTasks(
      db,
      deliveries.map(({ name, attempt, id }) => ({ name, attempt, id })),
      Date.now(),
      cfg.leaseGraceMs,
    );
  } catch (error) {
    // D1 unavailable: let the queue redeliver (dead-letter queue after max_retries).
    log.error("claim failed; messages will be redelivered", describeError(error));
    for (const d of deliveries) d.message.retry({ delaySeconds: 2 });
    return;
  }
  await publishTaskEvents(env, claimed);
  const byJob = new Map(claimed.map((task) => [task.jobId, task]));
  const wake = coalescingWaker(env);
  await Promise.all(
    deliveries.map(async (d) => {
      const task = byJob.get(d.id);
      if (!task) {
        log.info("message skipped: task is not Queued for this attempt", {
          task: d.name,
          attempt: d.attempt,
          id: d.id,
        });
        d.message.ack();
        return;
      }
      await runClaimed(task, d.message, env, db, cfg, wake);
    }),
  );
}

/** Runs a claimed attempt, records its outcome, acknowledges its message, wakes the scheduler if needed. */
async function runClaimed(
  task: WatchedTask,
  message: Message,
  env: Env,
  db: Db,
  cfg: Config,
  wake: (method: string) => Promise<boolean>,
): Promise<void> {
  const { name, attempt } = task;

  const record = { debugLog: new DebugLog(), progress: null as ProgressWriter | null };
  const outcome = await runAttempt(task, env, db, cfg, record);
  const attemptRecord = { debugLog: record.debugLog.text(), progress: record.progress?.final() ?? null };
  const now = Date.now();
  // The freed slot only needs the scheduler when work is waiting for it, and a scheduled retry
  // needs it to arm its alarm. A cancel has already woken it.
  let mustWake = false;
  try {
    if (outcome.kind === "finished") {
      const row = await finishTask(db, task, outcome.result, attemptRecord, now);
      if (!row) log.info("outcome discarded: task left Started meanwhile", { task: name, attempt });
      mustWake = row !== null && row.backlog === 1;
      await publishTaskEvents(env, [row], now);
    } else if (outcome.kind === "failed") {
      const { failed, paused } = await failTask(db, task, { ...outcome, record: attemptRecord }, now);
      if (!failed) log.info("failure discarded: task left Started meanwhile", { task: name, attempt });
      mustWake = failed !== null && (failed.backlog === 1 || failed.wakeAt !== null);
      await publishTaskEvents(env, [failed, ...paused], now);
    } else {
      await recordCanceledAttempt(db, task, attemptRecord, now);
    }
  } catch (error) {
    // The lease will expire and the scheduler will fail or retry the task.
    log.error("could not record outcome", { task: name, attempt, ...describeError(error) });
  }
  message.ack();
  if (mustWake) await wake(task.method);
}

async function runAttempt(
  task: TaskRow,
  env: Env,
  db: Db,
  cfg: Config,
  record: { debugLog: DebugLog; progress: ProgressWriter | null },
): Promise<Outcome> {
  const method = registry.get(task.method, env);
  if (!method) {
    return { kind: "failed", error: `PermanentError: method ${task.method} is not registered`, permanent: true };
  }
  const args = method.args.safeParse(JSON.parse(task.arguments));
  if (!args.success) {
    return {
      kind: "failed",
      error: `PermanentError: arguments no longer match the method's schema: ${args.error.message}`,
      permanent: true,
    };
  }

  const controller = new AbortController();
  const done = new AbortController();
  const progress = new ProgressWriter(
    db,
    task,
    cfg.progressIntervalMs,
    () => controller.abort(new CanceledError("task was canceled")),
    (row) => publishTaskEvents(env, [row]),
  );
  record.progress = progress;
  const ctx: TaskContext = {
    name: task.name,
    owner: task.owner,
    attempt: task.attempt,
    signal: controller.signal,
    env,
    task: {
      name: task.name,
      method: task.method,
      jobName: task.jobName,
      queue: task.queue as QueueName,
      timeout: task.timeout,
      batchId: task.batchId,
      retryCount: task.retryCount,
    },
    progress: (p) => progress.report(p),
    log: (...parts) => record.debugLog.add(parts),
  };

  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`task timed out after ${task.timeout}s`)),
    task.timeout * 1000,
  );
  const watcher = watchForCancel(db, task, cfg.cancelPollMs, controller, done.signal);
  try {
    const value = await Promise.race([
      Promise.resolve().then(() => method.run(args.data, ctx, task.documentName)),
      abortPromise(controller.signal),
    ]);
    const result = value === undefined ? null : JSON.stringify(value);
    if (result !== null && new TextEncoder().encode(result).length > RESULT_MAX_BYTES) {
      return {
        kind: "failed",
        error: "PermanentError: result is larger than 64 KB; store large outputs in R2 and return a reference",
        permanent: true,
      };
    }
    return { kind: "finished", result };
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    if (reason instanceof CanceledError) return { kind: "canceled" };
    if (reason instanceof TimeoutError) return { kind: "failed", error: formatError(reason), permanent: false };
    return { kind: "failed", error: formatError(error), permanent: error instanceof PermanentError };
  } finally {
    clearTimeout(timer);
    progress.close();
    done.abort();
    await watcher;
  }
}

/** Rejects with the signal's reason once it aborts (lets a handler that ignores its signal be abandoned). */
function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}

/** Polls the task's status while it runs; aborts the handler when the task was canceled. */
async function watchForCancel(
  db: Db,
  task: TaskRow,
  pollMs: number,
  controller: AbortController,
  done: AbortSignal,
): Promise<void> {
  while (!done.aborted && !controller.signal.aborted) {
    try {
      await sleep(pollMs, done);
    } catch {
      return;
    }
    try {
      const [row] = await db
        .select({ status: tasks.status, attempt: tasks.attempt })
        .from(tasks)
        .where(eq(tasks.name, task.name));
      if (!row || row.status !== "Started" || row.attempt !== task.attempt) {
        controller.abort(new CanceledError("task was canceled"));
        return;
      }
    } catch (error) {
      log.warn("cancel check failed", { task: task.name, ...describeError(error) });
    }
  }
}

/** "Name: message" followed by the stack, as stored in error_message. */
function formatError(error: unknown): string {
  if (error instanceof Error) {
    const head = `${error.name}: ${error.message}`;
    const stack = error.stack ?? "";
    return stack.startsWith(head) || stack === "" ? stack || head : `${head}\n${stack}`;
  }
  return `Error: ${String(error)}`;
}

/** Handles the dead-letter queue: a task whose message could not be delivered fails (and may retry). */
export async function consumeDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
  const db = getDb(env);
  const methods = new Set<string>();
  for (const message of batch.messages) {
    const parsed = TaskMessage.safeParse(message.body);
    if (parsed.success) {
      const [task] = await db.select().from(tasks).where(eq(tasks.name, parsed.data.name));
      if (task && task.status === "Queued" && task.attempt === parsed.data.attempt) {
        const { failed, paused } = await failTask(
          db,
          task,
          { error: "DeadLettered: the task's queue message could not be processed", permanent: false },
          Date.now(),
        );
        if (failed) methods.add(task.method);
        await publishTaskEvents(env, [failed, ...paused]);
      }
    }
    log.warn("dead-lettered message handled", { id: message.id, body: message.body });
    message.ack();
  }
  await Promise.all([...methods].map((m) => wakeScheduler(env, m)));
}
