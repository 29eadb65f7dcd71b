// The queue consumer: claims every delivered task attempt (Queued → Started) in one statement,
// runs the claimed ones, records each outcome and wakes the method's scheduler when a pass could
// use the freed slot.
import { getDb, type Db } from "../db/client";
import { coalescingWaker } from "../dispatch/wake";
import { publishTaskEvents } from "../realtime/events";
import { config, type Config } from "../shared/config";
import { describeError, log } from "../shared/log";
import { TaskMessage } from "../tasks/messages";
import { claimTasks, type Delivery } from "../transitions/claim";
import type { WatchedTask } from "../transitions/columns";
import { failTask, finishTask, recordCanceledAttempt } from "../transitions/outcome";
import { acceptRemoteAttempt } from "../transitions/remote";
import { runAttempt, type AttemptTrace } from "./attempt";
import { DebugLog } from "./attempt-context";

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
  const trace: AttemptTrace = { debugLog: new DebugLog(), progress: null };
  const outcome = await runAttempt(task, env, db, cfg, trace);
  const record = { debugLog: trace.debugLog.text(), progress: trace.progress?.final() ?? null };
  const now = Date.now();
  // The freed slot needs the scheduler only when a pass would admit something, and a scheduled
  // retry needs it to arm its alarm. A cancel has already woken it.
  let mustWake = false;
  try {
    if (outcome.kind === "finished") {
      const row = await finishTask(db, task, outcome.result, record, now);
      if (!row) log.info("outcome discarded: task left Started meanwhile", { task: name, attempt });
      mustWake = row !== null && row.admitsNow === 1;
      await publishTaskEvents(env, [row], now);
    } else if (outcome.kind === "failed") {
      const { failed, paused } = await failTask(db, task, { ...outcome, record }, now);
      if (!failed) log.info("failure discarded: task left Started meanwhile", { task: name, attempt });
      mustWake = failed !== null && (failed.admitsNow === 1 || failed.wakeAt !== null);
      await publishTaskEvents(env, [failed, ...paused], now);
    } else if (outcome.kind === "accepted") {
      // The remote works on and calls back; the lease shrinks to one heartbeat, so the scheduler
      // must re-arm its alarm for it.
      const target = task.method.split(":", 1)[0] ?? task.method;
      const message = `accepted by ${target}; waiting for its callbacks`;
      const row = await acceptRemoteAttempt(
        db,
        task,
        now + cfg.remoteHeartbeatMs + cfg.leaseGraceMs,
        cfg.leaseGraceMs,
        message,
      );
      mustWake = row !== null;
      await publishTaskEvents(env, [row], now);
    } else {
      await recordCanceledAttempt(db, task, record, now);
    }
  } catch (error) {
    // The lease will expire and the scheduler will fail or retry the task.
    log.error("could not record outcome", { task: name, attempt, ...describeError(error) });
  }
  message.ack();
  if (mustWake) await wake(task.method);
}
