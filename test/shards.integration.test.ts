// One method over several objects (`flow_control.shards`): tasks spread over the shards by their
// names, every read and action reaching the task's own shard, the method's limit leased to the
// shards and never exceeded across them (also while shards are evicted), per-key limits exact
// because a key value lives in one shard, settings and the dispatcher switch reaching every shard,
// and bad settings refused. Causality only: overlaps are counted from the log's start and end times.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Live } from "../src/live/live";
import { resolveFlow } from "../src/shared/flow";
import { placeTask, shardObjectName, shardOfTask } from "../src/shared/shards";
import { expectErrorEnvelope, uid } from "./api-support";
import { maxOverlap } from "./overlap";
import { call, enqueue, getTask, setDispatcher, setTaskType, settleLog, waitForStatus } from "./helpers";

const interval = (t: { started_at: string; ended_at: string }) => ({
  start: Date.parse(t.started_at),
  end: Date.parse(t.ended_at),
});

async function bulk(tasks: Record<string, unknown>[]): Promise<string[]> {
  const res = await call("/api/v1/tasks/bulk", { method: "POST", body: { tasks } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body.tasks as { name: string }[]).map((t) => t.name);
}

/** Waits until every task has `status` (each one checked until it has: no request flood). */
async function allEnd(names: string[], status = "Finished", timeout = 120_000) {
  let next = 0;
  await vi.waitUntil(
    async () => {
      while (next < names.length && (await getTask(names[next] as string)).status === status) next++;
      return next === names.length;
    },
    { timeout, interval: 100 },
  );
  return Promise.all(names.map((n) => getTask(n)));
}

/** Inside one shard's object at one instant: tasks holding a slot, and the slots it holds. */
function shardSample(method: string, shard: number) {
  return runInDurableObject(env.METHOD_TASKS.getByName(shardObjectName(method, shard)), (instance) => {
    const object = instance as unknown as { live: Live; slots: { held(): number; leasing(): boolean } };
    return {
      running: object.live.running(),
      held: object.slots.held(),
      leasing: object.slots.leasing(),
    };
  });
}

/** The slots the pool (shard 0) believes its shards hold, summed, read at one instant. */
function poolHeld(method: string) {
  return runInDurableObject(env.METHOD_TASKS.getByName(method), (instance) => {
    const object = instance as unknown as { slots: { pool: { figures(): { held: number }[] } | null } };
    return (object.slots.pool?.figures() ?? []).reduce((n, f) => n + f.held, 0);
  });
}

describe("a method over several objects", () => {
  it("spreads tasks over its shards, and their limit holds across them, through evictions", async () => {
    const method = "demo.sleep";
    await setTaskType(method, { concurrency_limit: 3, flow_control: { shards: 3 } });
    const names = await bulk(Array.from({ length: 48 }, (_, i) => ({ method, arguments: { ms: 5 + (i % 4) * 5 } })));
    const shards = new Set(names.map(shardOfTask));
    // 48 names hashed over 3 shards: more than one gets some (FNV-1a of the names).
    expect(shards.size).toBeGreaterThan(1);
    let stop = false;
    let evictions = 0;
    let samples = 0;
    const broken: string[] = [];
    const evictor = (async () => {
      let i = 0;
      while (!stop) {
        try {
          await evictDurableObject(env.METHOD_TASKS.getByName(shardObjectName(method, i++ % 3)));
          evictions++;
        } catch {
          // not running at this instant
        }
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const sampler = (async () => {
      while (!stop) {
        try {
          // Each shard runs at most the slots it holds; the pool's beliefs stay within the limit.
          for (let shard = 0; shard < 3; shard++) {
            const s = await shardSample(method, shard);
            if (s.leasing && s.running > s.held) broken.push(`shard ${shard}: ${s.running} running on ${s.held} slots`);
          }
          const held = await poolHeld(method);
          if (held > 3) broken.push(`pool: ${held} slots held of 3`);
          samples++;
        } catch {
          // evicted at this instant
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const tasks = await allEnd(names);
    stop = true;
    await Promise.all([evictor, sampler]);
    expect(evictions).toBeGreaterThan(0);
    expect(samples).toBeGreaterThan(0);
    expect(broken).toEqual([]);
    // Every task ran once, and never more than 3 at a time across the shards.
    expect(tasks.every((t) => t.attempt === 1)).toBe(true);
    expect(maxOverlap(tasks.map(interval))).toBeLessThanOrEqual(3);
    // The limit was used across shards, not by one shard alone.
    expect(new Set(tasks.map((t) => shardOfTask(t.name))).size).toBe(shards.size);
  });

  it("keeps a key value in one shard, so per-key limits are exact across shards", async () => {
    const method = "demo.customer";
    await setTaskType(method, {
      concurrency_limit: 6,
      flow_control: { shards: 3, concurrency: [{ key: "arguments.customer", limit: 2 }] },
    });
    const tag = uid();
    const customers = ["a", "b", "c", "d", "e"].map((c) => `${c}-${tag}`);
    const names = await bulk(
      Array.from({ length: 40 }, (_, i) => ({ method, arguments: { customer: customers[i % 5], ms: 10 } })),
    );
    const tasks = await allEnd(names);
    for (const customer of customers) {
      const mine = tasks.filter((t) => t.arguments.customer === customer);
      expect(new Set(mine.map((t) => shardOfTask(t.name))).size).toBe(1);
      expect(maxOverlap(mine.map(interval))).toBeLessThanOrEqual(2);
    }
    expect(maxOverlap(tasks.map(interval))).toBeLessThanOrEqual(6);
    expect(new Set(tasks.map((t) => shardOfTask(t.name))).size).toBeGreaterThan(1);
  });

  it("reaches a task's own shard for reads and actions, and every shard for settings and the switch", async () => {
    const method = "demo.sleep";
    await setTaskType(method, { concurrency_limit: 4, flow_control: { shards: 4 } });
    await setDispatcher(false);
    try {
      const names = await bulk(Array.from({ length: 12 }, () => ({ method, arguments: { ms: 5 } })));
      const elsewhere = names.find((n) => shardOfTask(n) > 0) as string;
      expect(elsewhere).toBeDefined();
      // Read from its own object (not the log): Pending, and why it waits.
      expect((await getTask(elsewhere)).status).toBe("Pending");
      const why = await call(`/api/v1/tasks/${elsewhere}/waiting`);
      expect(why.status).toBe(200);
      expect(why.body.reason).toBe("dispatcher_suspended");
      // Cancel and pause reach it.
      const cancel = await call(`/api/v1/tasks/${elsewhere}/cancel`, { method: "POST", body: {} });
      expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
      expect(cancel.body.status).toBe("Canceled");
      const paused = names.find((n) => n !== elsewhere && shardOfTask(n) > 0) as string;
      expect((await call(`/api/v1/tasks/${paused}/pause`, { method: "POST", body: {} })).status).toBe(200);
      // Flow usage adds the shards up; the dispatcher switch reached every shard: nothing ran.
      const usage = await call(`/api/v1/task-types/${method}/flow`);
      expect(usage.status).toBe(200);
      expect(usage.body.shards).toHaveLength(4);
      expect(usage.body.running).toBe(0);
      for (const name of names) expect(["Pending", "Paused", "Canceled"]).toContain((await getTask(name)).status);
      await setDispatcher(true);
      const rest = names.filter((n) => n !== elsewhere && n !== paused);
      await allEnd(rest);
      expect((await getTask(paused)).status).toBe("Paused");
      expect((await call(`/api/v1/tasks/${paused}/resume`, { method: "POST", body: {} })).status).toBe(200);
      await waitForStatus(paused, "Finished");
      await settleLog();
      // The log has every task, under its shard's name.
      const rows = await env.DB.prepare(`SELECT name FROM tasks WHERE name IN (SELECT value FROM json_each(?))`)
        .bind(JSON.stringify(names))
        .all<{ name: string }>();
      const logged = new Set(rows.results.map((r) => r.name));
      for (const name of names) expect(logged.has(name)).toBe(true);
    } finally {
      await setDispatcher(true);
    }
  });

  it("moves slots to a shard that needs them while another still has a backlog", async () => {
    // Shard 1 takes both slots for its backlog first; then shard 0 (which keeps the pool) wants
    // one. Its share is one slot: shard 1 must start nothing more on the slot above its share, so
    // shard 0 starts long before shard 1's backlog is done.
    const method = "demo.customer";
    const flow = { shards: 2, concurrency: [{ key: "arguments.customer", limit: 2 }] };
    await setTaskType(method, { concurrency_limit: 2, flow_control: flow });
    const resolved = resolveFlow(flow);
    const tag = uid();
    const customerOn = (shard: number) => {
      for (let i = 0; ; i++) {
        const customer = `c${i}-${tag}`;
        if (placeTask({ name: "", owner: "Administrator", arguments: { customer } }, resolved) === shard)
          return customer;
      }
    };
    const busy = customerOn(1);
    const first = await bulk(Array.from({ length: 10 }, () => ({ method, arguments: { customer: busy, ms: 150 } })));
    expect(new Set(first.map(shardOfTask))).toEqual(new Set([1]));
    await vi.waitUntil(async () => (await shardSample(method, 1)).running === 2, { timeout: 60_000, interval: 20 });
    const later = customerOn(0);
    const second = await bulk([0, 1, 2].map(() => ({ method, arguments: { customer: later, ms: 5 } })));
    expect(new Set(second.map(shardOfTask))).toEqual(new Set([0]));
    const tasks = await allEnd([...first, ...second]);
    expect(maxOverlap(tasks.map(interval))).toBeLessThanOrEqual(2);
    const startsOf = (names: string[]) =>
      tasks.filter((t) => names.includes(t.name)).map((t) => Date.parse(t.started_at));
    expect(Math.min(...startsOf(second))).toBeLessThan(Math.max(...startsOf(first)));
    expect((await call(`/api/v1/task-types/${method}/flow`)).status).toBe(200);
  });

  it("a trickle of single enqueues over four shards runs on all four at once, within the limit", async () => {
    // One task per request from a dozen callers at once: the bench's shape.
    const method = "demo.noop";
    await setTaskType(method, { concurrency_limit: 4, flow_control: { shards: 4 } });
    const names: string[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let i = 0; i < 10; i++) names.push((await enqueue({ method, arguments: {} })).name);
      }),
    );
    const tasks = await allEnd(names);
    expect(maxOverlap(tasks.map(interval))).toBeLessThanOrEqual(4);
    expect(new Set(names.map(shardOfTask)).size).toBe(4);
    expect((await call(`/api/v1/task-types/${method}/flow`)).status).toBe(200);
    // Slots follow the work: every shard with a backlog runs early, none waits for another's to
    // drain (a shard over its share once kept filling the slots above it).
    const starts = tasks.map((t) => ({ shard: shardOfTask(t.name), at: Date.parse(t.started_at) }));
    starts.sort((a, b) => a.at - b.at);
    const firstQuarter = new Set(starts.slice(0, starts.length / 4).map((s) => s.shard));
    expect([...firstQuarter].sort()).toEqual([0, 1, 2, 3]);
  });

  it("a lower limit holds on every shard once the change is answered: nothing starts above it", async () => {
    const method = "demo.customer";
    const flow = { shards: 2, concurrency: [{ key: "arguments.customer", limit: 2 }] };
    await setTaskType(method, { concurrency_limit: 4, flow_control: flow });
    const resolved = resolveFlow(flow);
    const tag = uid();
    const customersOn = (shard: number) => {
      const out: string[] = [];
      for (let i = 0; out.length < 2; i++) {
        const customer = `l${i}-${tag}`;
        if (placeTask({ name: "", owner: "Administrator", arguments: { customer } }, resolved) === shard)
          out.push(customer);
      }
      return out;
    };
    // Two customers on each shard, three tasks each: four run at once under the limit of 4.
    const specs = [...customersOn(0), ...customersOn(1)].flatMap((customer) =>
      [0, 1, 2].map(() => ({ method, arguments: { customer, ms: 200 } })),
    );
    const names = await bulk(specs);
    await vi.waitUntil(
      async () => (await shardSample(method, 0)).running + (await shardSample(method, 1)).running === 4,
      { timeout: 60_000, interval: 20 },
    );
    await setTaskType(method, { concurrency_limit: 2, flow_control: flow });
    const changed = Date.now();
    const tasks = await allEnd(names);
    const spans = tasks.map(interval);
    // Every task that started after the change found fewer than 2 others running.
    for (const span of spans.filter((s) => s.start > changed)) {
      const running = spans.filter((o) => o.start <= span.start && o.end > span.start).length;
      expect(running).toBeLessThanOrEqual(2);
    }
    expect(spans.filter((s) => s.start > changed).length).toBeGreaterThan(0);
  });

  it("refuses shards it cannot keep exact, naming the field, and a reshard of a keyed method while busy", async () => {
    const method = "demo.customer";
    const cases: [unknown, string][] = [
      [{ shards: 0 }, "flow_control.shards"],
      [{ shards: 17 }, "flow_control.shards"],
      [{ shards: 5 }, "flow_control.shards"],
      [{ shards: "2" }, "flow_control.shards"],
      [
        {
          shards: 2,
          concurrency: [{ key: "arguments.customer", limit: 1 }],
          singleton: { key: "owner", mode: "skip" },
        },
        "flow_control.shards",
      ],
      [{ shards: 2, throttle: { limit: 5, period: "1s" } }, "flow_control.throttle.key"],
      [{ shards: 2, rateLimit: { limit: 5, period: "1m" } }, "flow_control.rateLimit.key"],
    ];
    await setTaskType(method, { concurrency_limit: 4, flow_control: { shards: 1 } });
    for (const [flow, path] of cases) {
      const res = await call(`/api/v1/task-types/${method}`, {
        method: "PUT",
        body: { concurrency_limit: 4, flow_control: flow },
      });
      expectErrorEnvelope(res, 400);
      expect(res.body.error.message, JSON.stringify(flow)).toContain(path);
      expect((await call(`/api/v1/task-types/${method}`)).body.flow_control).toEqual({ shards: 1 });
    }
    // A keyed method with a live task: its shard count cannot change until it is drained.
    await setTaskType(method, {
      concurrency_limit: 4,
      flow_control: { shards: 2, concurrency: [{ key: "arguments.customer", limit: 1 }] },
    });
    await setDispatcher(false);
    try {
      const live = await enqueue({ method, arguments: { customer: `busy-${uid()}`, ms: 1 } });
      const res = await call(`/api/v1/task-types/${method}`, {
        method: "PUT",
        body: { flow_control: { shards: 4, concurrency: [{ key: "arguments.customer", limit: 1 }] } },
      });
      expectErrorEnvelope(res, 409, "shards_busy");
      await setDispatcher(true);
      await waitForStatus(live.name, "Finished");
      const after = await call(`/api/v1/task-types/${method}`, {
        method: "PUT",
        body: { flow_control: { shards: 4, concurrency: [{ key: "arguments.customer", limit: 1 }] } },
      });
      expect(after.status, JSON.stringify(after.body)).toBe(200);
    } finally {
      await setDispatcher(true);
    }
  });
});
