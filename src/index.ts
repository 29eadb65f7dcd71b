// Worker entry: wires the HTTP app, the queue consumers and the cron; re-exports the Durable Object.
import { buildApp } from "./api/app";
import { runCron } from "./cron";
import { consumeDeadLetters, consumeTaskBatch } from "./tasks/execute";

export { MethodScheduler } from "./dispatch/scheduler";
export { RealtimeHub } from "./realtime/hub";

const app = buildApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
    else await consumeTaskBatch(batch, env);
  },
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(runCron(env));
  },
} satisfies ExportedHandler<Env>;
