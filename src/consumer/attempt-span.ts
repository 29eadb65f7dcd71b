// The attempt as a custom span in Cloudflare's own trace of the consumer invocation (Workers
// tracing, `tracing.enterSpan`), tagged with the task's W3C trace: Workers tracing does not yet
// join an incoming traceparent, so these attributes are how an OTLP backend finds the platform's
// spans (the handler's fetches, D1, the object calls) of one task's trace. Untraced invocations
// (head sampling, local runs) just run the attempt.
import { tracing } from "cloudflare:workers";
import type { AttemptSpan } from "../shared/trace";

/** Runs `fn` inside a span named `switchyard.attempt` carrying the task and its trace ids. */
export function inAttemptSpan<T>(
  task: { name: string; method: string; attempt: number },
  span: AttemptSpan | null,
  fn: () => Promise<T>,
): Promise<T> {
  const t = tracing as Tracing | undefined;
  if (typeof t?.enterSpan !== "function") return fn();
  return t.enterSpan("switchyard.attempt", (s) => {
    s.setAttributes({
      "switchyard.task": task.name,
      "switchyard.method": task.method,
      "switchyard.attempt": task.attempt,
      "switchyard.trace_id": span?.traceId,
      "switchyard.span_id": span?.spanId,
      "switchyard.parent_id": span?.parentId,
    });
    return fn();
  });
}
