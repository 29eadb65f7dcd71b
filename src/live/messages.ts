// The queue message that carries admitted attempts to a consumer: the method and its tasks' names
// and attempt numbers — never payloads. Several attempts of one method share a message (claim and
// skip stay per task), which divides the queue's per-message operations among them.
import { z } from "zod";
import { count } from "../shared/metrics";
import type { QueueName } from "../shared/states";

const Attempt = z.strictObject({ name: z.string().min(1).max(64), attempt: z.int().min(1) });

/** Body of a task message. */
export const TaskMessage = z.strictObject({
  method: z.string().min(1).max(300),
  tasks: z.array(Attempt).min(1).max(100),
});
export type TaskMessage = z.infer<typeof TaskMessage>;

/** A message from before attempts were grouped: one task, no method (its name or the log says). */
export const LegacyTaskMessage = Attempt;

/** The producer binding of each queue. */
export function queueBinding(env: Env, queue: QueueName): Queue {
  switch (queue) {
    case "short":
      return env.QUEUE_SHORT;
    case "long":
      return env.QUEUE_LONG;
    default:
      return env.QUEUE_DEFAULT;
  }
}

const SEND_BATCH_MAX = 100;

/** Sends messages, grouped per queue in sendBatch calls of up to 100. Rejects if any send fails. */
export async function sendTaskMessages(
  env: Env,
  method: string,
  messages: readonly { queue: QueueName; tasks: { name: string; attempt: number }[] }[],
): Promise<void> {
  const byQueue = new Map<QueueName, TaskMessage[]>();
  for (const m of messages) {
    const list = byQueue.get(m.queue) ?? [];
    list.push({ method, tasks: m.tasks });
    byQueue.set(m.queue, list);
  }
  const sends: Promise<unknown>[] = [];
  for (const [queue, list] of byQueue) {
    for (let i = 0; i < list.length; i += SEND_BATCH_MAX) {
      const chunk = list.slice(i, i + SEND_BATCH_MAX);
      sends.push(queueBinding(env, queue).sendBatch(chunk.map((body) => ({ body, contentType: "json" as const }))));
    }
  }
  await Promise.all(sends);
  count({ queueMessages: messages.length, queueTasks: messages.reduce((n, m) => n + m.tasks.length, 0) });
}
