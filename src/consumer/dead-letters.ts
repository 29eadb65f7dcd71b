// The dead-letter queue: a task whose message could not be delivered fails (and may be retried).
import { eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { tasks } from "../db/schema";
import { wakeScheduler } from "../dispatch/wake";
import { publishTaskEvents } from "../realtime/events";
import { log } from "../shared/log";
import { TaskMessage } from "../tasks/messages";
import { failTask } from "../transitions/outcome";

/** Fails each dead-lettered attempt that is still Queued, then wakes the schedulers involved. */
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
