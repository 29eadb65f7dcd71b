// Waking a method's scheduler from the API, the consumer and the cron, with retries for transient errors.
import { describeError, log } from "../shared/log";
import { sleep } from "../shared/sleep";

const ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  const e = error as { retryable?: boolean; overloaded?: boolean };
  return e.retryable === true && e.overloaded !== true;
}

/**
 * Asks the method's scheduler to run a pass and waits for it. Retries errors the runtime marks
 * retryable (not overloaded) with jittered backoff. Never throws: if the scheduler stays
 * unreachable the minute cron runs the pass instead, so the caller's own write is never undone.
 */
export async function wakeScheduler(env: Env, method: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await env.SCHEDULER.getByName(method).wake();
      return true;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryable(error)) {
        log.error("could not wake scheduler; the cron will retry", { method, ...describeError(error) });
        return false;
      }
      await sleep(50 * 2 ** attempt + Math.random() * 50);
    }
  }
}

/** Wakes several schedulers in parallel. */
export async function wakeSchedulers(env: Env, methods: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(methods)].map((method) => wakeScheduler(env, method)));
}

/**
 * A waker for one invocation (a consumer batch): concurrent wakes of the same method share one
 * scheduler call, plus one more if any arrived while it ran — so every caller's change is seen by
 * a pass that started after it, with far fewer Durable Object requests. Scoped to one invocation
 * because Workers do not let one request await I/O started by another.
 */
export function coalescingWaker(env: Env): (method: string) => Promise<boolean> {
  const inFlight = new Map<string, { again: boolean; done: Promise<boolean> }>();
  return (method) => {
    const current = inFlight.get(method);
    if (current) {
      current.again = true;
      return current.done;
    }
    const entry = { again: false, done: Promise.resolve(true) };
    entry.done = (async () => {
      try {
        let ok: boolean;
        do {
          entry.again = false;
          ok = await wakeScheduler(env, method);
        } while (entry.again);
        return ok;
      } finally {
        inFlight.delete(method);
      }
    })();
    inFlight.set(method, entry);
    return entry.done;
  };
}
