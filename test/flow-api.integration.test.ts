// Flow control through the API: a task type's flow_control (set, read, every bad input a 400 that
// names the field and changes nothing), a task whose arguments lack a key (400, no task), the
// outcome of a rate limit as the task shows it, "why is it waiting" naming each cause, and the
// chaos guarantees with controls on (0 lost, 0 doubled, 0 over any limit) while the object is evicted.
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { explainWaiting } from "../src/live/waiting";
import { expectErrorEnvelope, rejectEnqueue, uid } from "./api-support";
import { maxPerKey, running } from "./flow-support";
import { call, createKey, enqueue, getTask, setTaskType, settleLog, waitForStatus } from "./helpers";

const METHOD = "demo.customer";
const typeUrl = `/api/v1/task-types/${METHOD}`;

async function flowOf(): Promise<unknown> {
  const res = await call(typeUrl);
  return res.status === 404 ? undefined : res.body.flow_control;
}

async function waiting(name: string) {
  const res = await call(`/api/v1/tasks/${name}/waiting`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { reason: string; message: string; causes: { reason: string; message: string }[] };
}

async function cancelAll(names: string[]) {
  for (const name of names) await call(`/api/v1/tasks/${name}/cancel`, { method: "POST", body: {} });
}

describe("task type flow_control", () => {
  it("is set and read back, with what the object admits by; null goes back to the code's", async () => {
    const flow = {
      concurrency: [{ key: "arguments.customer", limit: 3 }],
      throttle: { limit: 20, period: "1s", burst: 5 },
      fairness: { key: "owner", weights: { Administrator: 2 } },
    };
    await setTaskType(METHOD, { concurrency_limit: 10, flow_control: flow });
    const res = await call(typeUrl);
    expect(res.body.flow_control).toEqual(flow);
    expect(res.body.effective_flow_control).toEqual(flow);
    await setTaskType(METHOD, { flow_control: null });
    const back = await call(typeUrl);
    expect(back.body.flow_control).toBeNull();
    // defineTask's flow for demo.customer: at most 2 per customer.
    expect(back.body.effective_flow_control).toEqual({ concurrency: [{ key: "arguments.customer", limit: 2 }] });
  });

  it("bad input is a 400 naming the field and changes nothing", async () => {
    const good = { concurrency: [{ key: "arguments.customer", limit: 2 }] };
    await setTaskType(METHOD, { concurrency_limit: 5, flow_control: good });
    const cases: [unknown, string][] = [
      [{ burst_mode: 1 }, "flow_control.burst_mode"],
      [{ throttle: { limit: 5, period: "0s" } }, "flow_control.throttle.period"],
      [{ throttle: { limit: 5, period: "soon" } }, "flow_control.throttle.period"],
      [{ throttle: { limit: 5, period: "1s", bust: 2 } }, "flow_control.throttle.bust"],
      [{ rateLimit: { limit: 0, period: "1m" } }, "flow_control.rateLimit.limit"],
      [{ concurrency: [{ key: "arguments.", limit: 1 }] }, "flow_control.concurrency.0.key"],
      [{ concurrency: [{ key: "owner", limit: 9 }] }, "flow_control.concurrency.0.limit"],
      [
        {
          concurrency: [
            { key: "owner", limit: 1 },
            { key: "owner", limit: 2 },
          ],
        },
        "flow_control.concurrency.1.key",
      ],
      [{ debounce: { key: "arguments.customer", period: "10s", timeout: "5s" } }, "flow_control.debounce.timeout"],
      [
        { debounce: { key: "owner", period: "1s" }, singleton: { key: "owner", mode: "skip" } },
        "flow_control.singleton",
      ],
      [{ singleton: { key: "owner", mode: "later" } }, "flow_control.singleton.mode"],
    ];
    for (const [flow, field] of cases) {
      const res = await call(typeUrl, { method: "PUT", body: { flow_control: flow } });
      const error = expectErrorEnvelope(res, 400);
      expect(error.message, JSON.stringify(flow)).toContain(field);
      expect(JSON.stringify(error.details)).toContain(field);
      expect(await flowOf()).toEqual(good);
    }
    // A lower method limit that would contradict a per-key limit is refused too.
    const lower = await call(typeUrl, { method: "PUT", body: { concurrency_limit: 1 } });
    expect(expectErrorEnvelope(lower, 400).message).toContain("flow_control.concurrency.0.limit");
    expect((await call(typeUrl)).body.concurrency_limit).toBe(5);
  });

  it("a task whose arguments lack a key path is refused (400 naming it) and no task is written", async () => {
    await setTaskType(METHOD, {
      concurrency_limit: 0,
      flow_control: { concurrency: [{ key: "arguments.region", limit: 1 }] },
    });
    const error = await rejectEnqueue({ method: METHOD, arguments: { customer: "ACME" } }, 400, "flow_key_missing");
    expect(error.message).toContain("arguments.region");
    const bulk = await call("/api/v1/tasks/bulk", {
      body: {
        tasks: [
          { method: METHOD, arguments: { customer: "A", region: "eu" } },
          { method: METHOD, arguments: { customer: "B" } },
        ],
      },
    });
    expect(expectErrorEnvelope(bulk, 400, "flow_key_missing").message).toContain("arguments.region");
    await setTaskType(METHOD, { flow_control: null });
  });
});

describe("outcomes and waiting causes", () => {
  it("a rate-limited task ends Canceled with flow_outcome rate_limited and the reason", async () => {
    const customer = `rl-${uid()}`;
    await setTaskType(METHOD, {
      concurrency_limit: 0,
      flow_control: { rateLimit: { limit: 1, period: "1h", key: "arguments.customer" } },
    });
    const first = await enqueue({ method: METHOD, arguments: { customer } });
    const second = await enqueue({ method: METHOD, arguments: { customer } });
    expect(first.flow_outcome).toBeNull();
    expect(second.status).toBe("Canceled");
    expect(second.flow_outcome).toBe("rate_limited");
    expect(second.status_message).toContain(`customer = ${customer}`);
    await settleLog();
    const logged = await env.DB.prepare("SELECT status, flow_outcome FROM tasks WHERE name = ?")
      .bind(second.name)
      .first();
    expect(logged).toEqual({ status: "Canceled", flow_outcome: "rate_limited" });
    await waitForStatus(first.name, "Finished");
    await setTaskType(METHOD, { flow_control: null });
  });

  it("names a per-key limit, a throttle, fair share and a debounce", async () => {
    // Per-key: the code's limit of 2 per customer.
    await setTaskType(METHOD, { concurrency_limit: 0, flow_control: null });
    const customer = `ACME-${uid()}`;
    const names: string[] = [];
    for (let i = 0; i < 3; i++)
      names.push((await enqueue({ method: METHOD, arguments: { customer, ms: 600_000 } })).name);
    await waitForStatus(names[0] as string, ["Queued", "Started"]);
    await waitForStatus(names[1] as string, ["Queued", "Started"]);
    const third = await waiting(names[2] as string);
    expect(third.reason).toBe("key_limit");
    expect(third.message).toBe(`2 of 2 running for customer = ${customer}`);
    await cancelAll(names);

    // Throttle: one start an hour.
    await setTaskType(METHOD, { flow_control: { throttle: { limit: 1, period: "1h" } } });
    const t1 = (await enqueue({ method: METHOD, arguments: { customer: "t1" } })).name;
    const t2 = (await enqueue({ method: METHOD, arguments: { customer: "t2" } })).name;
    await waitForStatus(t1, "Finished");
    const throttled = await waiting(t2);
    expect(throttled.reason).toBe("throttled");
    expect(throttled.message).toMatch(/^throttled — next start at \d{4}-\d\d-\d\dT/);
    await cancelAll([t2]);

    // Fair share: limit 1, the admin's three tasks and one of another owner.
    await setTaskType(METHOD, { concurrency_limit: 1, flow_control: null });
    const other = await createKey(`fair-${uid()}`);
    const mine: string[] = [];
    for (let i = 0; i < 3; i++)
      mine.push((await enqueue({ method: METHOD, arguments: { customer: `f${i}`, ms: 600_000 } })).name);
    await waitForStatus(mine[0] as string, ["Queued", "Started"]);
    const theirs = (await enqueue({ method: METHOD, arguments: { customer: "g" } }, other)).name;
    const last = await waiting(mine[2] as string);
    expect(last.reason).toBe("fair_share");
    expect(last.message).toMatch(/^fair share: 1 other owner's tasks go first/);
    const next = await waiting(theirs);
    expect(next.reason).toBe("concurrency_limit");
    await cancelAll([...mine, theirs]);

    // Debounce: waits out its period.
    await setTaskType(METHOD, {
      concurrency_limit: 0,
      flow_control: { debounce: { key: "arguments.customer", period: "1h" } },
    });
    const d1 = (await enqueue({ method: METHOD, arguments: { customer: "deb", ms: 1 } })).name;
    const d2 = (await enqueue({ method: METHOD, arguments: { customer: "deb", ms: 2 } })).name;
    expect((await getTask(d1)).flow_outcome).toBe("debounced");
    const debounced = await waiting(d2);
    expect(debounced.reason).toBe("debounced");
    expect(debounced.message).toMatch(/^debounced until /);
    await cancelAll([d2]);
    await setTaskType(METHOD, { flow_control: null });
  });

  it("a singleton hold is worded for people", () => {
    const w = explainWaiting({
      method: METHOD,
      status: "Pending",
      wakeAt: null,
      attempt: 0,
      retryCount: 0,
      maxRetries: 0,
      free: 5,
      dispatcherOn: true,
      limit: 0,
      running: 1,
      ahead: 0,
      holds: [{ kind: "singleton", value: "INV-1" }],
    });
    expect(w.reason).toBe("singleton");
    expect(w.message).toBe("a run with the same singleton key (INV-1) is live");
  });
});

describe("chaos with controls on", () => {
  it("evictions mid-run lose no task, double none and break no limit (method, per customer)", async () => {
    await setTaskType(METHOD, {
      concurrency_limit: 4,
      flow_control: {
        concurrency: [{ key: "arguments.customer", limit: 2 }],
        throttle: { limit: 100, period: "1s", burst: 10 },
      },
    });
    const tag = uid();
    const customers = ["a", "b", "c"].map((c) => `${c}-${tag}`);
    const owners = [undefined, await createKey(`chaos-${tag}`)];
    const names: string[] = [];
    for (let i = 0; i < 30; i++) {
      const task = await enqueue(
        { method: METHOD, arguments: { customer: customers[i % 3], ms: 10 + (i % 4) * 5 } },
        owners[i % 2],
      );
      names.push(task.name);
    }
    const stub = env.METHOD_TASKS.getByName(METHOD);
    let stop = false;
    let evictions = 0;
    let samples = 0;
    let overMethod = 0;
    let overKey = 0;
    const evictor = (async () => {
      while (!stop) {
        try {
          await evictDurableObject(stub);
          evictions++;
        } catch {
          // not running at this instant
        }
        await new Promise((r) => setTimeout(r, 60));
      }
    })();
    await vi
      .waitUntil(
        async () => {
          // An atomic sample: the tasks holding a slot, read inside the object at one instant.
          try {
            const sample = await running(METHOD);
            samples++;
            if (sample.length > 4) overMethod++;
            if (maxPerKey(sample, (t) => String(t.args.customer)) > 2) overKey++;
          } catch {
            // evicted at this instant
          }
          const tasks = await Promise.all(names.map((n) => getTask(n)));
          return tasks.every((t) => t.status === "Finished");
        },
        { timeout: 120_000, interval: 20 },
      )
      .catch(async (e: unknown) => {
        const tasks = await Promise.all(names.map((n) => getTask(n)));
        const stuck = tasks.filter((t) => t.status !== "Finished");
        console.log(
          "STUCK",
          JSON.stringify(stuck.map((t) => [t.name, t.status, t.attempt, t.arguments.customer, t.owner])),
        );
        for (const t of stuck.slice(0, 3))
          console.log("WAIT", JSON.stringify((await call(`/api/v1/tasks/${t.name}/waiting`)).body));
        console.log("SUMMARY", JSON.stringify(await stub.summary()));
        throw e;
      });
    stop = true;
    await evictor;
    expect(evictions).toBeGreaterThan(0);
    expect(samples).toBeGreaterThan(0);
    expect(overMethod).toBe(0);
    expect(overKey).toBe(0);
    for (const name of names) {
      const marks = await env.RESULTS.list({ prefix: `demo/marks/${name}/` });
      expect(marks.objects, name).toHaveLength(1);
    }
    await setTaskType(METHOD, { concurrency_limit: 0, flow_control: null });
  }, 150_000);
});
