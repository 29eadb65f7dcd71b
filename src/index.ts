// Worker entry: wires the HTTP app, the queue consumers and the cron; re-exports the Durable Objects.
import { handleFetch } from "./api/app";
import { consumeTaskBatch } from "./consumer/consume";
import { consumeDeadLetters } from "./consumer/dead-letters";
import { runCron } from "./cron";
import { installLogGroupHook } from "./shared/log-group-hook";
import { completionWebhooks } from "./webhooks/completion";

// Completion webhooks ride on the method objects' log writes (src/live knows only the hook's shape).
installLogGroupHook(completionWebhooks);

export { MethodTasks } from "./live/object";
export { RealtimeHub } from "./realtime/hub";
export { ScheduleTimer } from "./schedules/timer";

export default {
  fetch: handleFetch,
  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
    else await consumeTaskBatch(batch, env);
  },
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(runCron(env));
  },
} satisfies ExportedHandler<Env>;
