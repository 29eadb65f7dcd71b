// The method's object never drops a request for admission, whatever await point of a pass it
// arrives at: a task enqueued while a pass is sending what it admitted is admitted by another pass,
// without a cron or an alarm.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { routeCode } from "../src/db/routes";
import type { Admitter } from "../src/live/admitter";
import type { NewTask } from "../src/live/enqueue";
import type { Live } from "../src/live/live";
import type { MethodTasks } from "../src/live/object";
import { newId } from "../src/shared/ids";

async function task(method: string): Promise<NewTask> {
  const now = Date.now();
  const name = newId(now) + (await routeCode(getDb(env), method));
  const base = {
    name,
    jobName: method,
    method,
    documentType: null,
    documentName: null,
    documentAction: null,
    queue: "short",
    timeout: 60,
    priority: 0,
    atFront: false,
    lane: 0,
    arguments: "{}",
    status: "Pending",
    statusMessage: null,
    owner: "Administrator",
    batchId: null,
    batchOrder: 0,
    orderKey: name,
    maxRetries: 0,
    retryDelay: 0,
    retryBackoff: "fixed",
    retryCount: 0,
    runAt: null,
    wakeAt: null,
    dedupeKey: null,
    rerunOf: null,
    flowKeys: null,
    flowOutcome: null,
    createdAt: now,
    queuedAt: null,
    startedAt: null,
    endedAt: null,
    timeTaken: null,
    attempt: 0,
    leaseUntil: null,
    result: null,
    errorMessage: null,
    debugLog: null,
    progress: null,
    jobId: null,
    scheduledJob: null,
    scheduledFor: null,
    traceparent: null,
    tracestate: null,
  } as const;
  return { ...base };
}

describe("admission requests", () => {
  it("a task enqueued while a pass is sending is admitted by another pass, without cron or alarm", async () => {
    const method = "demo.noop";
    const first = await task(method);
    const second = await task(method);
    const stub = env.METHOD_TASKS.getByName(method);
    await stub.summary();
    await runInDurableObject(stub, async (instance) => {
      const object = instance as unknown as Pick<MethodTasks, "enqueue"> & { admitter: Admitter; live: Live };
      const send = object.admitter.send.bind(object.admitter);
      let entered: () => void = () => {};
      const inSend = new Promise<void>((resolve) => (entered = resolve));
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let sends = 0;
      object.admitter.send = async (attempts) => {
        if (++sends === 1) {
          entered();
          await gate;
        }
        return send(attempts);
      };

      // A pass admits the first task and is held while it sends.
      await object.enqueue([first]);
      await inSend;
      // The second task arrives now, and with it a request for admission.
      await object.enqueue([second]);
      expect(object.live.get(second.name)?.status).toBe("Pending");
      release();
      await object.admitter.idle();

      expect(sends, "the second request ran a pass of its own").toBeGreaterThanOrEqual(2);
      expect(object.live.get(second.name)?.status).not.toBe("Pending");
    });
  });
});
