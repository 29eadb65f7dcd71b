// One attempt of a task: runs its handler — or calls its remote target — with a timeout and an
// AbortSignal that also fires when the method's object says the attempt is over (a cancel), and
// says how it ended. Writes nothing itself: progress goes to the object through `sendProgress`,
// the outcome is the caller's to report.
import { registry } from "../catalog";
import { PermanentError, type TaskContext } from "../methods/registry";
import type { TaskRecord } from "../live/store";
import { callRemote, type RemoteCallFacts } from "../remote/call";
import type { Config } from "../shared/config";
import { fromJson, toJson, type Json } from "../shared/json";
import { splitRemote } from "../shared/method-names";
import type { AttemptSpan } from "../shared/trace";
import type { Progress } from "../shared/states";
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

/** How an attempt ended — or, for a remote method, that the remote accepted it (202). */
export type RunOutcome =
  | { kind: "finished"; result: Json<unknown> | null }
  | { kind: "failed"; error: string; permanent: boolean; minDelayMs?: number }
  | { kind: "canceled" }
  | { kind: "accepted" };

/** What the attempt left behind besides its outcome. */
export interface AttemptTrace {
  debugLog: DebugLog;
  progress: ProgressWriter | null;
  /** A remote method's call: whether it went out and what status came back. */
  call: RemoteCallFacts;
  /** The attempt's trace (computed once per attempt; null for a task from before traces). */
  span: AttemptSpan | null;
}

/** What a consumer provides to run an attempt: its abort switch and the progress channel. */
export interface AttemptControls {
  controller: AbortController;
  sendProgress: (progress: Json<Progress>) => Promise<boolean>;
}

/**
 * Runs the task's handler (or remote call) for its current attempt; never throws. A remote's 202
 * ends the run as `accepted` (its lease and status message are the caller's to report).
 */
export async function runAttempt(
  task: TaskRecord,
  env: Env,
  cfg: Config,
  trace: AttemptTrace,
  controls: AttemptControls,
): Promise<RunOutcome> {
  if (splitRemote(task.method))
    return guarded(task, controls.controller, (signal) => callRemote(env, task, signal, trace.span, trace.call));
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
  const { controller } = controls;
  const outcome = guarded(task, controller, async (signal): Promise<RunOutcome> => {
    const progress = new ProgressWriter(
      task,
      cfg.progressIntervalMs,
      () => controller.abort(new CanceledError("task was canceled")),
      controls.sendProgress,
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
      trace: traceOf(trace.span),
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
  // A handler that ignored its signal may still report: the outcome carries the final value.
  return outcome.finally(() => trace.progress?.close());
}

/** The handler's view of the attempt's trace context. */
function traceOf(span: AttemptSpan | null): TaskContext["trace"] {
  if (span === null) return null;
  const { traceparent, tracestate, traceId, spanId } = span;
  return { traceparent, tracestate, traceId, spanId };
}

/**
 * Runs `work` under the attempt's signal, which aborts on timeout and when the object says the
 * attempt is over; a `work` that ignores its signal is abandoned when it fires. Maps what was
 * thrown to the outcome.
 */
async function guarded(
  task: TaskRecord,
  controller: AbortController,
  work: (signal: AbortSignal) => Promise<RunOutcome>,
): Promise<RunOutcome> {
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`task timed out after ${task.timeout}s`)),
    task.timeout * 1000,
  );
  try {
    return await Promise.race([Promise.resolve().then(() => work(controller.signal)), abortPromise(controller.signal)]);
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    if (reason instanceof CanceledError) return { kind: "canceled" };
    if (reason instanceof TimeoutError) return { kind: "failed", error: formatError(reason), permanent: false };
    return { kind: "failed", error: formatError(error), permanent: error instanceof PermanentError };
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects with the signal's reason once it aborts (lets a handler that ignores its signal be abandoned). */
function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    // AbortSignal.reason is typed any; ours are always CanceledError or TimeoutError.
    signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
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
