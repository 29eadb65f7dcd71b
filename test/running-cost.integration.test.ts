// A running task costs the shared writer nothing: from its claim to its end, its consumer asks D1
// nothing (the old design polled its D1 row every second for a cancel), and a cancel still reaches
// the handler — through the method's object. Counted as the benchmark counts (METRICS on, every D1
// statement the consumer's env runs).
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import worker from "../src/index";
import { getDb } from "../src/db/client";
import { settings } from "../src/db/schema";
import { snapshot } from "../src/shared/metrics";
import { sleep } from "../src/shared/sleep";
import { messageFor, scenarios } from "./fixtures";
import { call, getTask, waitForStatus } from "./helpers";

describe("a running attempt", () => {
  it("asks D1 nothing from its claim to its end, and is still reached by a cancel", async () => {
    const metered = { ...env, METRICS: "on" } as Env;
    const task = await scenarios.queued("demo.sleep", {
      queue: "long",
      arguments: JSON.stringify({ ms: 600_000 }),
      timeout: 900,
    });
    const batch = createMessageBatch("switchyard-long", [
      { id: "running-cost-1", timestamp: new Date(), attempts: 1, body: messageFor(task) },
    ]);
    const ctx = createExecutionContext();
    const beforeAll = snapshot().d1Statements;
    const consuming = worker.queue(batch, metered);
    await waitForStatus(task.name, "Started");

    // Many cancel-channel periods (CANCEL_CHANNEL_AFTER_MS is 100 ms here) and progress intervals.
    const atStart = snapshot().d1Statements;
    await sleep(3_000);
    const whileRunning = snapshot().d1Statements - atStart;

    const canceled = await call(`/api/v1/tasks/${task.name}/cancel`, { method: "POST", body: {} });
    expect(canceled.body.status).toBe("Canceled");
    // The handler's signal aborted: the consumer ends the batch (the sleep had 10 minutes left).
    await consuming;
    const wholeRun = snapshot().d1Statements - beforeAll;
    await expect(getQueueResult(batch, ctx)).resolves.toMatchObject({ explicitAcks: ["running-cost-1"] });
    expect((await getTask(task.name)).debug_log ?? "").toContain("stopped after cancel");
    expect(whileRunning).toBe(0);
    // Nor to claim, start or report: those go to the method's object.
    expect(wholeRun).toBe(0);
    // The meter works: the same env's D1 is counted, statement by statement.
    const probe = snapshot().d1Statements;
    await getDb(metered)
      .select({ n: sql<number>`1` })
      .from(settings)
      .limit(1);
    expect(snapshot().d1Statements - probe).toBe(1);
  });
});
