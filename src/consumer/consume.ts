// The queue consumer: claims every delivered attempt from its method's object (one call per
// method per batch), runs the claimed ones, and reports their outcomes back — outcomes that end
// while a report is under way go together in the next one. Attempts still running after a moment
// get a cancel channel to their object, so a cancel reaches them without anything polling.
import { getDb } from "../db/client";
import { methodOfTask } from "../db/routes";
import type { Delivery } from "../live/dispatch";
import { LegacyTaskMessage, TaskMessage } from "../live/messages";
import type { Outcome, OutcomeReport, OutcomeResult } from "../live/outcome";
import type { TaskRecord } from "../live/store";
import { config, type Config } from "../shared/config";
import { describeError, log, withLogFields } from "../shared/log";
import { attemptSpan, traceFields, type AttemptSpan } from "../shared/trace";
import { count } from "../shared/metrics";
import { objectOf, objectOfTask } from "../live/client";
import { objectOfTaskName } from "../shared/shards";
import { runAttempt, CanceledError, type AttemptTrace, type RunOutcome } from "./attempt";
import { DebugLog } from "./attempt-context";
import { inAttemptSpan } from "./attempt-span";
import { CancelChannels } from "./cancel-channel";

/** One task attempt delivered in a message. */
interface Delivered extends Delivery {
  message: Message;
}

/** The attempts of a batch's messages, per object of their method (its shard; legacy one-task messages resolved by name). */
async function deliveriesByMethod(batch: MessageBatch, env: Env): Promise<Map<string, Delivered[]>> {
  const byMethod = new Map<string, Delivered[]>();
  const add = (method: string, d: Delivered) => {
    const list = byMethod.get(method) ?? [];
    list.push(d);
    byMethod.set(method, list);
  };
  for (const message of batch.messages) {
    const parsed = TaskMessage.safeParse(message.body);
    if (parsed.success) {
      for (const t of parsed.data.tasks)
        add(objectOfTaskName(parsed.data.method, t.name), { ...t, id: message.id, message });
      continue;
    }
    // A message sent before attempts were grouped per method.
    const legacy = LegacyTaskMessage.safeParse(message.body);
    const method = legacy.success ? await methodOfTask(getDb(env), legacy.data.name) : null;
    if (legacy.success && method !== null) {
      add(objectOfTaskName(method, legacy.data.name), { ...legacy.data, id: message.id, message });
    } else {
      log.error("malformed task message dropped", { id: message.id, body: message.body });
      message.ack();
    }
  }
  return byMethod;
}

/**
 * Handles one batch from the short/default/long queues: claims every delivered attempt, runs the
 * claimed ones concurrently, reports their outcomes, and acknowledges each message once every
 * attempt it carried is claimed-and-reported or skipped.
 */
export async function consumeTaskBatch(batch: MessageBatch, env: Env): Promise<void> {
  count({ invocations: 1 });
  const cfg = config(env);
  const pending = new Map<Message, number>();
  const settle = (message: Message) => {
    const left = (pending.get(message) ?? 1) - 1;
    pending.set(message, left);
    if (left === 0) message.ack();
  };
  const byMethod = await deliveriesByMethod(batch, env);
  for (const list of byMethod.values()) for (const d of list) pending.set(d.message, (pending.get(d.message) ?? 0) + 1);
  await Promise.all(
    [...byMethod].map(async ([method, deliveries]) => {
      let claimed: TaskRecord[];
      try {
        claimed = await objectOf(env, method, (o) =>
          o.claim(deliveries.map(({ name, attempt, id }) => ({ name, attempt, id }))),
        );
      } catch (error) {
        // The object is unreachable: let the queue redeliver (dead-letter queue after max_retries).
        log.error("claim failed; messages will be redelivered", { method, ...describeError(error) });
        for (const d of deliveries) {
          pending.delete(d.message);
          d.message.retry({ delaySeconds: 2 });
        }
        return;
      }
      const byName = new Map(claimed.map((t) => [`${t.name}#${t.jobId}`, t]));
      const reporter = new Reporter(env, method);
      const channels = new CancelChannels(env, method, cfg.cancelChannelAfterMs);
      try {
        await Promise.all(
          deliveries.map(async (d) => {
            const task = byName.get(`${d.name}#${d.id}`);
            if (!task || task.attempt !== d.attempt) {
              log.info("message skipped: task is not Queued for this attempt", {
                task: d.name,
                attempt: d.attempt,
                id: d.id,
              });
            } else {
              await runClaimed(task, env, cfg, reporter, channels);
            }
            settle(d.message);
          }),
        );
      } finally {
        channels.close();
      }
    }),
  );
}

/**
 * Runs a claimed attempt and reports how it ended. Every log line written meanwhile carries the
 * attempt's trace (`trace_id`, `span_id`, `traceparent`); a sampled trace (flags 01) also gets a
 * line when the attempt starts and when it ends.
 */
function runClaimed(task: TaskRecord, env: Env, cfg: Config, reporter: Reporter, channels: CancelChannels) {
  const span = attemptSpan(task);
  const fields = { task: task.name, method: task.method, attempt: task.attempt, ...(span ? traceFields(span) : {}) };
  return withLogFields(fields, () =>
    inAttemptSpan(task, span, async () => {
      if (span?.sampled) log.info("attempt started", { parent_id: span.parentId });
      const outcome = await runAndReport(task, span, env, cfg, reporter, channels);
      if (span?.sampled) log.info("attempt ended", { outcome });
    }),
  );
}

/** Runs a claimed attempt and reports how it ended; returns the outcome's kind. */
async function runAndReport(
  task: TaskRecord,
  span: AttemptSpan | null,
  env: Env,
  cfg: Config,
  reporter: Reporter,
  channels: CancelChannels,
): Promise<RunOutcome["kind"]> {
  const { name, attempt } = task;
  const controller = new AbortController();
  const listening = channels.listen({ name, attempt }, () => controller.abort(new CanceledError("task was canceled")));
  const trace: AttemptTrace = {
    debugLog: new DebugLog(),
    progress: null,
    call: { sent: false, status: null },
    span,
  };
  let outcome: RunOutcome;
  try {
    outcome = await runAttempt(task, env, cfg, trace, {
      controller,
      sendProgress: async (progress) =>
        (await objectOfTask(env, task.method, name, (o) => o.progress(name, attempt, progress))) !== null,
    });
  } finally {
    listening.stop();
  }
  const record = { debugLog: trace.debugLog.text(), progress: trace.progress?.final() ?? null };
  const now = Date.now();
  const reported: Outcome =
    outcome.kind === "accepted"
      ? {
          kind: "accepted",
          // The remote works on and calls back; its lease shrinks to one heartbeat.
          statusMessage: `accepted by ${task.method.split(":", 1)[0] ?? task.method}; waiting for its callbacks`,
          leaseUntil: now + cfg.remoteHeartbeatMs + cfg.leaseGraceMs,
        }
      : outcome;
  // An abandoned call (cancel) is not counted; one without an answer (timeout, network) is a failure.
  const call =
    trace.call.sent && outcome.kind !== "canceled"
      ? { failed: outcome.kind === "failed", authFailed: trace.call.status === 401 || trace.call.status === 403 }
      : undefined;
  try {
    const result = await reporter.report({ name, attempt, outcome: reported, record, ...(call ? { call } : {}) });
    if (result.task === null && outcome.kind !== "canceled") {
      log.info("outcome discarded: the attempt was over meanwhile", { task: name, attempt });
    }
  } catch (error) {
    // The lease will expire and the object will fail or retry the task.
    log.error("could not record outcome", { task: name, attempt, ...describeError(error) });
  }
  return outcome.kind;
}

/**
 * Sends outcomes to a method's object: one call at a time, and every outcome that ends while a
 * call is under way goes in the next call — as many object requests as needed, no more.
 */
class Reporter {
  private queue: { report: OutcomeReport; resolve: (r: OutcomeResult) => void; reject: (e: unknown) => void }[] = [];
  private sending = false;

  constructor(
    private readonly env: Env,
    private readonly method: string,
  ) {}

  report(report: OutcomeReport): Promise<OutcomeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ report, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          const results = await objectOf(this.env, this.method, (o) => o.report(group.map((g) => g.report)));
          group.forEach((g, i) => g.resolve(results[i] ?? { name: g.report.name, task: null }));
        } catch (error) {
          for (const g of group) g.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
