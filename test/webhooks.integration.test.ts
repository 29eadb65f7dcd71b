// Completion webhooks end to end: a subscription's task ends arrive signed at a real receiver, only
// for tasks its owner may see; a retried delivery and a log group written twice carry one
// webhook-id; a batch's end arrives once; other users' subscriptions are 404; private URLs refused.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sendDeliveries } from "../src/webhooks/deliver";
import { completionWebhooks } from "../src/webhooks/completion";
import { expectErrorEnvelope, uid, type Res } from "./api-support";
import { call, createKey, enqueue, settleLog, waitForStatus } from "./helpers";
import { answerWith, newInbox, received, signedBy, typeOf, waitForHooks } from "./hook-support";

async function subscribe(key: string, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await call("/api/v1/webhooks", { key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.signing_secret).toMatch(/^whsec_/);
  return { id: res.body.id, secret: res.body.signing_secret };
}

async function deliveriesOf(subscription: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE target_id = ?")
    .bind(subscription)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("completion webhooks", () => {
  it("a task's end arrives signed, only for the subscriber's own tasks, and is never shown again", async () => {
    const alice = await createKey(`alice-${uid()}`);
    const bob = await createKey(`bob-${uid()}`);
    const inbox = newInbox();
    const sub = await subscribe(alice, {
      method: "demo.echo",
      events: ["task.finished", "task.failed"],
      url: inbox.url,
    });
    const shown = await call(`/api/v1/webhooks/${sub.id}`, { key: alice });
    expect(shown.body.signing_secret).toBeUndefined();
    expect(JSON.stringify(shown.body)).not.toContain("/hooks/");

    const bobs = await enqueue({ method: "demo.echo", arguments: { value: "bob" } }, bob);
    const mine = await enqueue({ method: "demo.echo", arguments: { value: "alice" } }, alice);
    await Promise.all([waitForStatus(bobs.name, "Finished"), waitForStatus(mine.name, "Finished")]);
    const [event] = await waitForHooks(inbox.url, 1);
    if (event === undefined) throw new Error("no event");
    expect(typeOf(event)).toBe("task.finished");
    expect(await signedBy(event, sub.secret)).toBe(true);
    const body = JSON.parse(event.body);
    expect(body.data).toMatchObject({ name: mine.name, method: "demo.echo", status: "Finished" });
    await settleLog();
    expect((await received(inbox.url)).map((r) => JSON.parse(r.body).data.name)).toEqual([mine.name]);
    const log = await call(`/api/v1/webhooks/${sub.id}/deliveries`, { key: alice });
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0]).toMatchObject({ id: event.headers["webhook-id"], status: "delivered", attempts: 1 });
  });

  it("a retried delivery and a log group seen twice carry the same webhook-id", async () => {
    const carolName = `carol-${uid()}`;
    const carol = await createKey(carolName);
    const inbox = newInbox();
    const sub = await subscribe(carol, { owner: carolName, events: ["task.failed"], url: inbox.url });
    await answerWith(inbox.url, [500]);
    const task = await enqueue({ method: "demo.fail", arguments: { message: "no" } }, carol);
    await waitForStatus(task.name, "Failed");
    const [first] = await waitForHooks(inbox.url, 1);
    expect(first?.status).toBe(500);
    await settleLog();
    const pending = await call(`/api/v1/webhooks/${sub.id}/deliveries`, { key: carol });
    const delivery = pending.body.data[0];
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, response_status: 500 });
    await sendDeliveries(env, null, Date.parse(delivery.next_attempt_at));
    const both = await received(inbox.url);
    expect(both.map((r) => r.status)).toEqual([500, 204]);
    expect(both[0]?.headers["webhook-id"]).toBe(both[1]?.headers["webhook-id"]);
    for (const r of both) expect(await signedBy(r, sub.secret)).toBe(true);

    // The same log group handed to the hook again (a write retried after a lost answer) adds no delivery.
    const row = await env.DB.prepare("SELECT * FROM tasks WHERE name = ?")
      .bind(task.name)
      .first<Record<string, unknown>>();
    const facts = {
      name: String(row?.name),
      jobName: String(row?.job_name),
      method: String(row?.method),
      owner: String(row?.owner),
      status: String(row?.status),
      batchId: null,
      seq: Number(row?.seq),
      attempt: Number(row?.attempt),
      wakeAt: null,
      endedAt: Number(row?.ended_at),
      timeTaken: null,
      errorMessage: String(row?.error_message),
    };
    const before = await deliveriesOf(sub.id);
    const again = await completionWebhooks.prepare(env, [facts], Date.now());
    expect(again?.statements).toHaveLength(1);
    await env.DB.batch(again?.statements ?? []);
    expect(await deliveriesOf(sub.id)).toBe(before);
  });

  it("a batch's end arrives once, after its last task", async () => {
    const dave = await createKey(`dave-${uid()}`);
    const batchId = `b-${uid()}`;
    const bulk = await call("/api/v1/tasks/bulk", {
      key: dave,
      body: { batch_id: batchId, tasks: [1, 2, 3].map((i) => ({ method: "demo.echo", arguments: { value: i } })) },
    });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(201);
    const inbox = newInbox();
    const sub = await subscribe(dave, { batch_id: batchId, events: ["batch.done", "task.finished"], url: inbox.url });
    const names: string[] = bulk.body.tasks.map((t: { name: string }) => t.name);
    await Promise.all(names.map((n) => waitForStatus(n, "Finished")));
    await settleLog();
    const got = await waitForHooks(inbox.url, 4);
    const types = got.map(typeOf);
    expect(types.filter((t) => t === "batch.done")).toHaveLength(1);
    expect(types.filter((t) => t === "task.finished")).toHaveLength(3);
    const done = got.find((r) => typeOf(r) === "batch.done");
    expect(JSON.parse(done?.body ?? "{}").data).toMatchObject({ batch_id: batchId, total: 3, finished: 3, done: 3 });

    // The delivery log pages one row at a time without skipping rows written at the same instant.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Res = await call(
        `/api/v1/webhooks/${sub.id}/deliveries?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`,
        { key: dave },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((d: { id: string }) => d.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen.sort()).toEqual(got.map((r) => r.headers["webhook-id"]).sort());
  });

  it("other users' subscriptions are 404, and nobody subscribes to what they may not see", async () => {
    const erinName = `erin-${uid()}`;
    const frankName = `frank-${uid()}`;
    const erin = await createKey(erinName);
    const frank = await createKey(frankName);
    const inbox = newInbox();
    const sub = await subscribe(erin, { method: "demo.echo", events: ["task.finished"], url: inbox.url });
    for (const [method, path, body] of [
      ["GET", `/api/v1/webhooks/${sub.id}`, undefined],
      ["PATCH", `/api/v1/webhooks/${sub.id}`, { enabled: false }],
      ["DELETE", `/api/v1/webhooks/${sub.id}`, undefined],
      ["POST", `/api/v1/webhooks/${sub.id}/test`, undefined],
      ["GET", `/api/v1/webhooks/${sub.id}/deliveries`, undefined],
    ] as const) {
      const res = await call(path, { method, key: frank, body });
      expectErrorEnvelope(res, 404, "not_found");
    }
    const list = await call("/api/v1/webhooks", { key: frank });
    expect(list.body.data.map((s: { id: string }) => s.id)).not.toContain(sub.id);
    expect((await call(`/api/v1/webhooks/${sub.id}`, { key: erin })).body.enabled).toBe(true);
    const adminList = await call("/api/v1/webhooks");
    expect(adminList.body.data.map((s: { id: string }) => s.id)).toContain(sub.id);

    const erinTask = await enqueue({ method: "demo.echo", arguments: { value: 1 }, batch_id: `e-${uid()}` }, erin);
    const before = await call("/api/v1/webhooks", { key: frank });
    for (const body of [
      { owner: erinName },
      { batch_id: erinTask.batch_id },
      { method: "report:Failed Tasks" },
      { method: "no.such.method" },
    ]) {
      const res = await call("/api/v1/webhooks", {
        key: frank,
        body: { ...body, events: ["task.finished"], url: inbox.url },
      });
      expectErrorEnvelope(res, 404, "not_found");
    }
    const two = await call("/api/v1/webhooks", {
      key: frank,
      body: { method: "demo.echo", owner: frankName, events: ["task.finished"], url: inbox.url },
    });
    expectErrorEnvelope(two, 400, "invalid_scope");
    expect((await call("/api/v1/webhooks", { key: frank })).body.data).toEqual(before.body.data);
  });

  it("private and malformed URLs are refused and change nothing", async () => {
    const gina = await createKey(`gina-${uid()}`);
    const inbox = newInbox();
    const sub = await subscribe(gina, { method: "demo.echo", events: ["task.finished"], url: inbox.url });
    for (const url of [
      "http://10.0.0.1/x",
      "http://[::1:]/x",
      "http://169.254.169.254/x",
      "http://0177.0.0.1.5/x",
      "https://a@b.example/x",
    ]) {
      const res = await call("/api/v1/webhooks", {
        key: gina,
        body: { method: "demo.echo", events: ["task.finished"], url },
      });
      expect(res.status, url).toBe(400);
      const patch = await call(`/api/v1/webhooks/${sub.id}`, { method: "PATCH", key: gina, body: { url } });
      expect(patch.status, url).toBe(400);
    }
    const unknownEvent = await call("/api/v1/webhooks", {
      key: gina,
      body: { method: "demo.echo", events: ["task.started"], url: inbox.url },
    });
    expect(unknownEvent.status).toBe(400);
    const list = await call("/api/v1/webhooks", { key: gina });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].url_origin).toBe(new URL(inbox.url).origin);
    const test = await call(`/api/v1/webhooks/${sub.id}/test`, { method: "POST", key: gina });
    expect(test.body.delivery).toMatchObject({ status: "delivered", event_type: "webhook.test" });
    const [got] = await waitForHooks(inbox.url, 1);
    expect(got && (await signedBy(got, sub.secret))).toBe(true);
  });
});

describe("limits", () => {
  it("a user holds at most MAX_SUBSCRIPTIONS_PER_USER subscriptions; the next is a 409 that writes nothing", async () => {
    const { MAX_SUBSCRIPTIONS_PER_USER } = await import("../src/webhooks/manage");
    const key = await createKey(`many-${uid()}`);
    const url = newInbox().url;
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_USER; i++) {
      await subscribe(key, { method: "demo.echo", events: ["task.finished"], url });
    }
    const over = await call("/api/v1/webhooks", { key, body: { method: "demo.echo", events: ["task.finished"], url } });
    expectErrorEnvelope(over, 409, "too_many_subscriptions");
    expect((await call("/api/v1/webhooks", { key })).body.data).toHaveLength(MAX_SUBSCRIPTIONS_PER_USER);
  });
});
