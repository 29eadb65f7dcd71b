// One attempt of a task: runs its handler — or calls its remote target — with a timeout and an
// AbortSignal that also fires on cancel, and says how it ended. Writes nothing but progress; the
// caller records the outcome.
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { stillStarted } from "../db/tasks";
import { registry } from "../methods";
import { PermanentError, type TaskContext } from "../methods/registry";
import { publishTaskEvents } from "../realtime/events";
import { callRemote } from "../remote/call";
import { splitRemote } from "../remote/methods";
import type { Config } from "../shared/config";
import { fromJson, toJson, type Json } from "../shared/json";
import { describeError, log } from "../shared/log";
import { sleep } from "../shared/sleep";
import { DebugLog, ProgressWriter } from "./attempt-context";

const RESULT_MAX_BYTES = 64 * 1024;

/** The signal reason when a task is canceled while running. */
export class CanceledError extends Error {
  override name = "CanceledError";
}

/** The signal reason when a task runs past its timeout. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * How an attempt ended — or, for a remote method, that the remote accepted it (202) and will
 * report the outcome through its callbacks. A failure may ask for a minimum delay before the retry
 * (a remote's Retry-After).
 */
export type Outcome =
  | { kind: "finished"; result: Json<unknown> | null }
  | { kind: "failed"; error: string; permanent: boolean; minDelayMs?: number }
  | { kind: "canceled" }
  | { kind: "accepted" };

/** What the attempt left behind besides its outcome. */
export interface AttemptTrace {
  debugLog: DebugLog;
  progress: ProgressWriter | null;
}

/** Runs the task's handler (or remote call) for its current attempt; never throws. */
export async function runAttempt(task: TaskRow, env: Env, db: Db, cfg: Config, trace: AttemptTrace): Promise<Outcome> {
  if (splitRemote(task.method)) return guarded(task, db, cfg, (signal) => callRemote(env, task, signal));
  const method = registry.get(task.method, env);
  if (!method) {
    return { kind: "failed", error: `PermanentError: method ${task.method} is not registered`, permanent: true };
  }
  const args = method.args.safeParse(fromJson(task.arguments));
  if (!args.success) {
    return {
      kind: "failed",
      error: `PermanentError: arguments no longer match the method's schema: ${args.error.message}`,
      permanent: true,
    };
  }
  const outcome = guarded(task, db, cfg, async (signal, abort) => {
    const progress = new ProgressWriter(
      db,
      task,
      cfg.progressIntervalMs,
      () => abort(new CanceledError("task was canceled")),
      (row) => publishTaskEvents(env, [row]),
    );
    trace.progress = progress;
    const ctx: TaskContext = {
      name: task.name,
      owner: task.owner,
      attempt: task.attempt,
      signal,
      env,
      task: {
        name: task.name,
        method: task.method,
        jobName: task.jobName,
        queue: task.queue,
        timeout: task.timeout,
        batchId: task.batchId,
        retryCount: task.retryCount,
      },
      progress: (p) => progress.report(p),
      log: (...parts) => trace.debugLog.add(parts),
    };
    const value = await method.run(args.data, ctx, task.documentName);
    const result = value === undefined ? null : toJson(value);
    if (result !== null && new TextEncoder().encode(result).length > RESULT_MAX_BYTES) {
      return {
        kind: "failed",
        error: "PermanentError: result is larger than 64 KB; store large outputs in R2 and return a reference",
        permanent: true,
      };
    }
    return { kind: "finished", result };
  });
  // A handler that ignored its signal may still report: the outcome write carries the final value.
  return outcome.finally(() => trace.progress?.close());
}

/**
 * Runs `work` under the attempt's signal, which aborts on timeout and on cancel (polled); a `work`
 * that ignores its signal is abandoned when it fires. Maps what was thrown to the outcome.
 */
async function guarded(
  task: TaskRow,
  db: Db,
  cfg: Config,
  work: (signal: AbortSignal, abort: (reason: Error) => void) => Promise<Outcome>,
): Promise<Outcome> {
  const controller = new AbortController();
  const done = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`task timed out after ${task.timeout}s`)),
    task.timeout * 1000,
  );
  const watcher = watchForCancel(db, task, cfg.cancelPollMs, controller, done.signal);
  try {
    return await Promise.race([
      Promise.resolve().then(() => work(controller.signal, (reason) => controller.abort(reason))),
      abortPromise(controller.signal),
    ]);
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    if (reason instanceof CanceledError) return { kind: "canceled" };
    if (reason instanceof TimeoutError) return { kind: "failed", error: formatError(reason), permanent: false };
    return { kind: "failed", error: formatError(error), permanent: error instanceof PermanentError };
  } finally {
    clearTimeout(timer);
    done.abort();
    await watcher;
  }
}

/** Rejects with the signal's reason once it aborts (lets a handler that ignores its signal be abandoned). */
function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    // AbortSignal.reason is typed any; ours are always CanceledError or TimeoutError.
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
}

/** Polls the task while it runs; aborts the handler once the attempt is no longer Started (canceled). */
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
      if (!(await stillStarted(db, task))) {
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
