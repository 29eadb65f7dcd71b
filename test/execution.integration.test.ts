// Execution: the consumer's claim makes each attempt run once; cancel, timeout and retries behave.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { deliver, messageFor, scenarios } from "./fixtures";
import { call, enqueue, getTask, setTaskType, waitForStatus } from "./helpers";

async function marks(taskName: string): Promise<number> {
  const listed = await env.RESULTS.list({ prefix: `demo/marks/${taskName}/` });
  return listed.objects.length;
}

describe("claim", () => {
  it("a canceled Queued task never starts when its message arrives", async () => {
    const task = await scenarios.queued("demo.mark");
    const canceled = await call(`/api/v1/tasks/${task.name}/cancel`, {
      method: "POST",
      body: { message: "not needed" },
    });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe("Canceled");
    expect(canceled.body.status_message).toBe("not needed");

    const result = await deliver("switchyard-default", [{ id: "m-cancel-1", body: messageFor(task) }]);
    expect(result.explicitAcks).toEqual(["m-cancel-1"]);
    const after = await getTask(task.name);
    expect(after.status).toBe("Canceled");
    expect(after.started_at).toBeNull();
    expect(await marks(task.name)).toBe(0);
  });

  it("a duplicated message runs the task once", async () => {
    const task = await scenarios.queued("demo.mark");
    const body = messageFor(task);
    const [a, b] = await Promise.all([
      deliver("switchyard-default", [{ id: "dup-a", body }]),
      deliver("switchyard-default", [{ id: "dup-b", body }]),
    ]);
    expect([...a.explicitAcks, ...b.explicitAcks].sort()).toEqual(["dup-a", "dup-b"]);
    // Redelivery after the fact is skipped too.
    await deliver("switchyard-default", [{ id: "dup-c", body, attempts: 2 }]);
    const done = await getTask(task.name);
    expect(done.status).toBe("Finished");
    expect(done.attempt).toBe(1);
    expect(["dup-a", "dup-b"]).toContain(done.job_id);
    expect(await marks(task.name)).toBe(1);
  });

  it("two copies of one message in the same batch run the task once", async () => {
    const task = await scenarios.queued("demo.mark");
    const body = messageFor(task);
    const result = await deliver("switchyard-default", [
      { id: "same-a", body },
      { id: "same-b", body },
    ]);
    expect([...result.explicitAcks].sort()).toEqual(["same-a", "same-b"]);
    const done = await getTask(task.name);
    expect(done.status).toBe("Finished");
    expect(done.job_id).toBe("same-a");
    expect(await marks(task.name)).toBe(1);
  });

  it("a message for an older attempt is acknowledged and skipped", async () => {
    // Attempt 1 failed and was retried: the task is Queued for attempt 2.
    const task = await scenarios.queued("demo.mark", { attempt: 1, retryCount: 1 });
    expect(task.attempt).toBe(2);
    const stale = await deliver("switchyard-default", [
      { id: "stale-1", body: { ...messageFor(task), tasks: [{ name: task.name, attempt: 1 }] } },
    ]);
    expect(stale.explicitAcks).toEqual(["stale-1"]);
    expect((await getTask(task.name)).status).toBe("Queued");
    expect(await marks(task.name)).toBe(0);
  });

  it("a malformed message is acknowledged and dropped", async () => {
    const result = await deliver("switchyard-default", [{ id: "junk-1", body: { hello: "world" } }]);
    expect(result.explicitAcks).toEqual(["junk-1"]);
    expect(result.retryMessages).toEqual([]);
  });
});

describe("cancel", () => {
  it("canceling a running task aborts its signal and records Canceled at once", async () => {
    await setTaskType("demo.count", { concurrency_limit: 0 });
    const task = await enqueue({ method: "demo.count", arguments: { n: 100, step_ms: 50 } });
    await vi.waitUntil(async () => ((await getTask(task.name)).progress?.count ?? 0) >= 2, { timeout: 10_000 });
    const res = await call(`/api/v1/tasks/${task.name}/cancel`, { method: "POST", body: {} });
    expect(res.body.status).toBe("Canceled");
    expect(res.body.ended_at).not.toBeNull();
    // The handler saw the abort: the consumer ended the attempt and kept what it had logged.
    const after = await vi.waitUntil(
      async () => {
        const t = await getTask(task.name);
        return t.debug_log?.includes("stopped after cancel") ? t : null;
      },
      { timeout: 10_000 },
    );
    expect(after.status).toBe("Canceled");
    expect(after.progress.count).toBeLessThan(100);
    expect(after.result).toBeNull();
  });

  it("a late result cannot overwrite Canceled", async () => {
    const task = await enqueue({ method: "demo.sleep", queue: "long", arguments: { ms: 1200, ignore_signal: true } });
    await waitForStatus(task.name, "Started");
    const canceled = await call(`/api/v1/tasks/${task.name}/cancel`, { method: "POST", body: {} });
    expect(canceled.body.status).toBe("Canceled");
    // A witness that started later and ran longer: once it is done, the first handler has returned.
    const witness = await enqueue({ method: "demo.sleep", queue: "short", arguments: { ms: 1300 } });
    await waitForStatus(witness.name, "Finished");
    const after = await getTask(task.name);
    expect(after.status).toBe("Canceled");
    expect(after.result).toBeNull();
    expect(after.ended_at).toBe(canceled.body.ended_at);

    // And the compare-and-set itself: a finish for that attempt, reported to the object, changes nothing.
    const [result] = await env.METHOD_TASKS.getByName(task.method).report([
      { name: task.name, attempt: after.attempt, outcome: { kind: "finished", result: '"late"' }, record: null },
    ]);
    expect(result?.task).toBeNull();
    expect((await getTask(task.name)).status).toBe("Canceled");
  });

  it("canceling a finished task is a 409 and changes nothing", async () => {
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    await waitForStatus(task.name, "Finished");
    const res = await call(`/api/v1/tasks/${task.name}/cancel`, { method: "POST", body: {} });
    expect(res.status).toBe(409);
    expect((await getTask(task.name)).status).toBe("Finished");
  });
});

describe("cancel a scheduled retry", () => {
  it("canceling a failed task that waits for its retry stops the retry and keeps the failed attempt's duration", async () => {
    const task = await enqueue({
      method: "demo.sleep",
      queue: "short",
      timeout: 1,
      max_retries: 1,
      retry_delay: 3600,
      arguments: { ms: 1500, ignore_signal: true },
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.retry_at).toBeTypeOf("string");
    expect(failed.time_taken).toBeGreaterThan(0);
    const canceled = await call(`/api/v1/tasks/${task.name}/cancel`, { body: { message: "not needed" } });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe("Canceled");
    expect(canceled.body.retry_at).toBeNull();
    expect(canceled.body.time_taken).toBe(failed.time_taken);
  });
});

describe("timeout", () => {
  it("a handler that ignores its signal is still recorded Failed at its timeout and frees its slot", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    const slow = await enqueue({
      method: "demo.sleep",
      queue: "long",
      timeout: 1,
      arguments: { ms: 30_000, ignore_signal: true },
    });
    const next = await enqueue({ method: "demo.sleep", queue: "short", arguments: { ms: 1 } });
    const failed = await waitForStatus(slow.name, "Failed");
    expect(failed.error_message).toMatch(/^TimeoutError: task timed out after 1s/);
    // Recorded while the handler was still asleep: the attempt did not wait for it.
    expect(failed.time_taken).toBeLessThan(30);
    expect(failed.retry_at).toBeNull();
    const ran = await waitForStatus(next.name, "Finished");
    expect(Date.parse(ran.started_at)).toBeGreaterThanOrEqual(Date.parse(failed.ended_at));
    await setTaskType("demo.sleep", { concurrency_limit: 0 });
  });
});

describe("retries", () => {
  it("an automatic retry with retry_delay fires at its time, from the scheduler's alarm alone", async () => {
    const task = await enqueue({
      method: "demo.fail",
      arguments: { message: "flaky", fail_attempts: 1 },
      max_retries: 1,
      retry_delay: 2,
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.error_message).toMatch(/^Error: flaky/);
    expect(failed.retry_at).not.toBeNull();
    expect(Date.parse(failed.retry_at) - Date.parse(failed.ended_at)).toBe(2000);
    expect(failed.status_message).toMatch(/^retry 1 of 1 at /);
    // No cron runs in tests: only the alarm can bring it back.
    const done = await waitForStatus(task.name, "Finished", 15_000);
    expect(Date.parse(done.queued_at)).toBeGreaterThanOrEqual(Date.parse(failed.retry_at));
    expect(done.attempt).toBe(2);
    expect(done.retry_count).toBe(1);
    expect(done.result).toEqual({ succeeded_on_attempt: 2 });
    expect(done.error_message).toBeNull();
  });

  it("exponential backoff doubles the delay per retry and stops after max_retries", async () => {
    const task = await enqueue({
      method: "demo.fail",
      arguments: { message: "always" },
      max_retries: 2,
      retry_delay: 1,
      retry_backoff: "exponential",
    });
    const delays: number[] = [];
    const seen = new Set<number>();
    const final = await vi.waitUntil(
      async () => {
        const t = await getTask(task.name);
        if (t.status === "Failed" && !seen.has(t.attempt)) {
          seen.add(t.attempt);
          if (t.retry_at) delays.push(Date.parse(t.retry_at) - Date.parse(t.ended_at));
        }
        return t.status === "Failed" && t.attempt === 3 ? t : null;
      },
      { timeout: 20_000, interval: 20 },
    );
    expect(delays).toEqual([1000, 2000]);
    expect(final.retry_at).toBeNull();
    expect(final.retry_count).toBe(2);
  });

  it("a permanent error is not retried automatically, but a manual retry runs it again", async () => {
    const task = await enqueue({
      method: "demo.fail",
      arguments: { message: "bad data", permanent: true },
      max_retries: 3,
    });
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.error_message).toMatch(/^PermanentError: bad data/);
    expect(failed.retry_at).toBeNull();
    expect(failed.retry_count).toBe(0);

    const retried = await call(`/api/v1/tasks/${task.name}/retry`, { method: "POST", body: { now: true } });
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe("Pending");
    expect(retried.body.retry_count).toBe(1);
    const again = await vi.waitUntil(
      async () => {
        const t = await getTask(task.name);
        return t.status === "Failed" && t.attempt === 2 ? t : null;
      },
      { timeout: 10_000 },
    );
    expect(again.retry_count).toBe(1);
  });

  it("retrying a task that is not Failed or Canceled is a 409", async () => {
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 } });
    await waitForStatus(task.name, "Finished");
    const res = await call(`/api/v1/tasks/${task.name}/retry`, { method: "POST", body: {} });
    expect(res.status).toBe(409);
  });
});

describe("what a run leaves behind", () => {
  it("progress, result, timings and the debug log are recorded", async () => {
    const task = await enqueue({ method: "demo.count", arguments: { n: 5, step_ms: 10 } });
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result).toEqual({ counted: 5 });
    expect(done.progress).toEqual({ count: 5, total: 5, description: "Counted 5 of 5" });
    expect(done.debug_log.split("\n")).toHaveLength(5);
    expect(done.time_taken).toBeGreaterThan(0);
    expect(Date.parse(done.started_at)).toBeGreaterThanOrEqual(Date.parse(done.queued_at));
    expect(Date.parse(done.ended_at)).toBeGreaterThanOrEqual(Date.parse(done.started_at));
    expect(done.job_id).toBeTruthy();
  });
});
