// The queue message that carries a task attempt (ids only, never payloads), and sending it.
import { z } from "zod";
import { count } from "../shared/metrics";
import type { QueueName } from "../shared/states";

/** Body of every task message: which task, and which attempt the message is for. */
export const TaskMessage = z.strictObject({ name: z.string().min(1).max(64), attempt: z.int().min(1) });
export type TaskMessage = z.infer<typeof TaskMessage>;

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

/** Sends one message per task attempt, grouped per queue in batches of up to 100. */
export async function sendTaskMessages(
  env: Env,
  items: readonly { name: string; attempt: number; queue: QueueName }[],
): Promise<void> {
  const byQueue = new Map<QueueName, TaskMessage[]>();
  for (const item of items) {
    const queue = item.queue;
    const list = byQueue.get(queue) ?? [];
    list.push({ name: item.name, attempt: item.attempt });
    byQueue.set(queue, list);
  }
  const sends: Promise<void>[] = [];
  for (const [queue, list] of byQueue) {
    for (let i = 0; i < list.length; i += SEND_BATCH_MAX) {
      const chunk = list.slice(i, i + SEND_BATCH_MAX);
      sends.push(
        queueBinding(env, queue)
          .sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })))
          .then(() => undefined),
      );
    }
  }
  await Promise.all(sends);
  count({ queueMessages: items.length });
}
