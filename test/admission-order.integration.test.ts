// Admission order: at_front, then priority, then creation order — where a batch takes its place by
// its creation and batch_order orders only within it.
import { describe, expect, it, vi } from "vitest";
import { uid } from "./api-support";
import { call, enqueue, getTask, setDispatcher, setTaskType } from "./helpers";

const SLEEP = { method: "demo.sleep", arguments: { ms: 600_000 } };

async function bulk(batchId: string, count: number): Promise<string[]> {
  const res = await call("/api/v1/tasks/bulk", { body: { batch_id: batchId, tasks: Array(count).fill(SLEEP) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.tasks.map((t: { name: string }) => t.name);
}

/** The tasks among `names` that hold a slot now (exact reads: each task's own GET). */
async function inFlight(names: string[]): Promise<string[]> {
  const tasks = await Promise.all(names.map((name) => getTask(name)));
  return tasks.filter((t) => t.status === "Queued" || t.status === "Started").map((t) => t.name as string);
}

/**
 * With a limit of 1, the order tasks are admitted in: wait for the one in flight, note it, cancel
 * it (which frees the slot and wakes the scheduler), repeat.
 */
async function admissionOrder(names: string[]): Promise<string[]> {
  const order: string[] = [];
  while (order.length < names.length) {
    let running: string[] = [];
    await vi.waitUntil(
      async () => {
        running = (await inFlight(names)).filter((n) => !order.includes(n));
        return running.length > 0;
      },
      { timeout: 20_000, interval: 20 },
    );
    expect(running, "the limit of 1 holds").toHaveLength(1);
    const [name = ""] = running;
    order.push(name);
    const res = await call(`/api/v1/tasks/${name}/cancel`, { method: "POST", body: {} });
    expect(res.status).toBe(200);
  }
  return order;
}

describe("admission order", () => {
  it("at_front, then priority, then creation order: overlapping batches run one after the other, late tasks after them", async () => {
    await setTaskType("demo.sleep", { concurrency_limit: 1 });
    await setDispatcher(false);
    const a = `a-${uid()}`;
    const [a0 = "", a1 = "", a2 = ""] = await bulk(a, 3);
    const s1 = (await enqueue(SLEEP)).name as string;
    // Z sorts before A by batch id and by batch_order it interleaves with A: neither may matter.
    const [z0 = "", z1 = "", z2 = ""] = await bulk(`${a.replace("a-", "0-")}`, 3);
    const s2 = (await enqueue(SLEEP)).name as string;
    // A late task joining batch A takes A's place, after A's earlier tasks.
    const a3 = (await enqueue({ ...SLEEP, batch_id: a, batch_order: 3 })).name as string;
    const urgent = (await enqueue({ ...SLEEP, priority: 5 })).name as string;
    const front = (await enqueue({ ...SLEEP, at_front: true })).name as string;
    const urgentFront = (await enqueue({ ...SLEEP, at_front: true, priority: 3 })).name as string;
    await setDispatcher(true);

    const order = await admissionOrder([a0, a1, a2, s1, z0, z1, z2, s2, a3, urgent, front, urgentFront]);
    expect(order).toEqual([urgentFront, front, urgent, a0, a1, a2, a3, s1, z0, z1, z2, s2]);
  });
});
