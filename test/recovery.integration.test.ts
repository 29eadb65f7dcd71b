// Recovery: the method object's leases and alarm, and the minute cron behind them, repair what
// crashes and lost messages leave; a task found only in the log is adopted by its object.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { idFloor } from "../src/shared/ids";
import { deliver, insertTaskRow, messageFor, runCron, scenarios } from "./fixtures";
import { getTask, waitForStatus } from "./helpers";

describe("cron safety net", () => {
  it("a Queued task whose message was lost is re-sent by the cron and runs once", async () => {
    const task = await scenarios.queued("demo.mark", {}, Date.now() - 1);
    await runCron();
    const done = await waitForStatus(task.name, "Finished");
    expect(done.attempt).toBe(1);
    const marks = await env.RESULTS.list({ prefix: `demo/marks/${task.name}/` });
    expect(marks.objects).toHaveLength(1);
  });

  it("a Started task whose worker vanished is failed by the cron once its lease expires", async () => {
    const task = await scenarios.startedOnVanishedWorker(
      "demo.sleep",
      { arguments: JSON.stringify({ ms: 1 }) },
      Date.now() - 1,
    );
    await runCron();
    const failed = await waitForStatus(task.name, "Failed");
    expect(failed.error_message).toMatch(/^WorkerLost: /);
    expect(failed.retry_at).toBeNull();
  });

  it("a Started task whose worker vanished is retried when it has retries left", async () => {
    const task = await scenarios.startedOnVanishedWorker("demo.mark", { maxRetries: 1 }, Date.now() - 1);
    await runCron();
    const done = await waitForStatus(task.name, "Finished");
    expect(done.attempt).toBe(2);
    expect(done.retry_count).toBe(1);
  });

  it("a Started task within its lease is left alone", async () => {
    const task = await scenarios.startedOnVanishedWorker("demo.sleep", {}, Date.now() + 600_000);
    await runCron();
    expect((await getTask(task.name)).status).toBe("Started");
  });

  it("a Pending task found only in the log is adopted by its object at the cron and runs", async () => {
    // Written straight to the log: a database from before the objects, or a row an object lost.
    const task = await insertTaskRow({ method: "demo.echo", arguments: JSON.stringify({ x: 1 }) });
    await runCron();
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result.args).toEqual({ x: 1 });
  });

  it("a Failed task found only in the log with its retry due is adopted and retried at the cron", async () => {
    const task = await insertTaskRow({
      method: "demo.echo",
      arguments: "{}",
      status: "Failed",
      attempt: 1,
      maxRetries: 1,
      endedAt: Date.now() - 10_000,
      wakeAt: Date.now() - 5_000,
      errorMessage: "Error: earlier failure",
    });
    await runCron();
    const done = await waitForStatus(task.name, "Finished");
    expect(done.attempt).toBe(2);
    expect(done.retry_count).toBe(1);
  });

  it("the cron records its last run for the ops summary", async () => {
    await runCron();
    const row = await env.DB.prepare("SELECT value FROM settings WHERE key = 'last_cron_at'").first<{
      value: string;
    }>();
    expect(Number(row?.value)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("the object's own lease", () => {
  it("a lost message is re-sent by the object's alarm without any cron", async () => {
    // Admitted, but its message never sent; the object armed its alarm for the lease.
    const task = await scenarios.queued("demo.mark", {}, Date.now() + 1_000);
    const done = await waitForStatus(task.name, "Finished", 15_000);
    expect(done.attempt).toBe(1);
    const marks = await env.RESULTS.list({ prefix: `demo/marks/${task.name}/` });
    expect(marks.objects).toHaveLength(1);
  });
});

describe("dead-letter queue", () => {
  it("a task whose message was dead-lettered fails (and retries when it may) instead of staying Queued", async () => {
    const task = await scenarios.queued("demo.mark", { maxRetries: 1 });
    const result = await deliver("switchyard-dlq", [{ id: "dlq-1", body: messageFor(task) }]);
    expect(result.explicitAcks).toEqual(["dlq-1"]);
    const done = await waitForStatus(task.name, "Finished");
    expect(done.attempt).toBe(2);
  });
});

describe("retention", () => {
  it("the cron deletes expired WebSocket tickets and keeps valid ones", async () => {
    await env.DB.prepare(
      "INSERT INTO realtime_tickets (ticket_hash, user, roles, expires_at) VALUES ('old', 'u', '[]', ?1), ('new', 'u', '[]', ?2)",
    )
      .bind(Date.now() - 1000, Date.now() + 60_000)
      .run();
    await runCron();
    const left = await env.DB.prepare(
      "SELECT ticket_hash FROM realtime_tickets WHERE ticket_hash IN ('old', 'new')",
    ).all();
    expect(left.results).toEqual([{ ticket_hash: "new" }]);
  });

  it("the cron deletes ended logs past retention and never live ones", async () => {
    const old = Date.now() - 31 * 86_400_000;
    const oldName = (suffix: string) => idFloor(old).slice(0, 10) + suffix.padEnd(16, "0").slice(0, 16);
    const base = { method: "demo.sleep", createdAt: old, endedAt: old + 1000 };
    const finished = await insertTaskRow({ ...base, name: oldName("FIN"), status: "Finished" });
    const failedFinal = await insertTaskRow({ ...base, name: oldName("FAIL"), status: "Failed" });
    const canceled = await insertTaskRow({ ...base, name: oldName("CAN"), status: "Canceled" });
    const pending = await insertTaskRow({ ...base, name: oldName("PEND"), status: "Paused", endedAt: null });
    const retrying = await insertTaskRow({
      ...base,
      name: oldName("RETRY"),
      status: "Failed",
      maxRetries: 1,
      wakeAt: Date.now() + 3_600_000,
    });
    const recent = await insertTaskRow({ method: "demo.sleep", status: "Finished", endedAt: Date.now() });
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO batches (batch_id, owner, total, created_at) VALUES ('old-empty', 'Administrator', 1, ?1), ('old-live', 'Administrator', 1, ?1)",
      ).bind(old),
      env.DB.prepare(
        "INSERT INTO item_failures (task_name, item_id, error, created_at) VALUES ('gone', 'x', 'e', ?1)",
      ).bind(old),
    ]);
    await insertTaskRow({ ...base, name: oldName("INBATCH"), status: "Paused", endedAt: null, batchId: "old-live" });
    await runCron();
    const names = async () =>
      (await env.DB.prepare("SELECT name FROM tasks").all<{ name: string }>()).results.map((r) => r.name);
    const left = await names();
    expect(left).not.toContain(finished.name);
    expect(left).not.toContain(failedFinal.name);
    expect(left).not.toContain(canceled.name);
    expect(left).toContain(pending.name);
    expect(left).toContain(retrying.name);
    expect(left).toContain(recent.name);
    const batchesLeft = await env.DB.prepare("SELECT batch_id FROM batches WHERE batch_id LIKE 'old-%'").all();
    expect(batchesLeft.results).toEqual([{ batch_id: "old-live" }]);
    const failures = await env.DB.prepare("SELECT count(*) AS n FROM item_failures WHERE task_name = 'gone'").first();
    expect(failures?.n).toBe(0);
  });
});
