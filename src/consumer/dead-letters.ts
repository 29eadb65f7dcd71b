// The dead-letter queue: an attempt whose message could not be delivered fails (and may be retried).
import { getDb } from "../db/client";
import { methodOfTask } from "../db/routes";
import { LegacyTaskMessage, TaskMessage } from "../live/messages";
import { describeError, log } from "../shared/log";
import { objectOfTask } from "../live/client";

/** Fails each dead-lettered attempt that is still Queued in its method's object. */
export async function consumeDeadLetters(batch: MessageBatch, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const parsed = TaskMessage.safeParse(message.body);
    const legacy = parsed.success ? null : LegacyTaskMessage.safeParse(message.body);
    let method: string | null = parsed.success ? parsed.data.method : null;
    const attempts = parsed.success ? parsed.data.tasks : legacy?.success ? [legacy.data] : [];
    if (method === null && legacy?.success) method = await methodOfTask(getDb(env), legacy.data.name);
    try {
      if (method !== null) {
        const m = method;
        await Promise.all(attempts.map((a) => objectOfTask(env, m, a.name, (o) => o.deadLetter(a.name, a.attempt))));
      }
    } catch (error) {
      log.error("could not fail a dead-lettered attempt; its lease will", { id: message.id, ...describeError(error) });
    }
    log.warn("dead-lettered message handled", { id: message.id, body: message.body });
    message.ack();
  }
}
