// The alert conditions, the delivery backoff and the channel formats, on plain values.
import { describe, expect, it } from "vitest";
import { firingSubjects, type RuleFacts } from "../src/alerts/conditions";
import { completionEvent, covers } from "../src/webhooks/completion";
import { DELIVERY_DELAYS_MS, MAX_DELIVERY_ATTEMPTS, nextDeliveryAt } from "../src/webhooks/backoff";
import { emailMessage, slackBody } from "../src/webhooks/formats";
import type { WebhookSubscriptionRow } from "../src/db/schema";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const rule = (kind: string, threshold: number, extra: Record<string, unknown> = {}) =>
  ({ kind, subject: null, threshold, windowS: 300, minTasks: 1, ...extra }) as Parameters<typeof firingSubjects>[0];

describe("firingSubjects", () => {
  const failures: RuleFacts["failures"] = new Map([
    ["a.fail", { failed: 3, firstAt: NOW - 60_000, deadLettered: 1 }],
    ["b.ok", { failed: 1, firstAt: NOW - 30_000, deadLettered: 0 }],
  ]);
  const ended = new Map([
    ["a.fail", 4],
    ["b.ok", 10],
  ]);

  it("failure_rate fires per method at or above the rate, from the first failure, and needs min_tasks", () => {
    const fired = firingSubjects(rule("failure_rate", 0.5), { now: NOW, failures, ended });
    expect(fired).toEqual([
      { subject: "a.fail", value: 0.75, startedAt: NOW - 60_000, summary: expect.stringContaining("3 of 4") },
    ]);
    expect(firingSubjects(rule("failure_rate", 0.5, { minTasks: 5 }), { now: NOW, failures, ended })).toEqual([]);
    expect(firingSubjects(rule("failure_rate", 0.1, { subject: "b.ok" }), { now: NOW, failures, ended })).toHaveLength(
      1,
    );
    expect(firingSubjects(rule("failure_rate", 0.11, { subject: "b.ok" }), { now: NOW, failures, ended })).toEqual([]);
  });

  it("dead_letters counts dead-lettered attempts only", () => {
    expect(firingSubjects(rule("dead_letters", 1), { now: NOW, failures }).map((f) => f.subject)).toEqual(["a.fail"]);
    expect(firingSubjects(rule("dead_letters", 2), { now: NOW, failures })).toEqual([]);
  });

  it("oldest_waiting, schedule_overdue and dispatcher_suspended fire at their thresholds, not before", () => {
    const oldestPending = new Map([["m", NOW - 120_000]]);
    expect(firingSubjects(rule("oldest_waiting", 120), { now: NOW, oldestPending })[0]?.startedAt).toBe(NOW);
    expect(firingSubjects(rule("oldest_waiting", 121), { now: NOW, oldestPending })).toEqual([]);
    const overdue = [{ name: "nightly", nextFireAt: NOW - 90_000 }];
    expect(firingSubjects(rule("schedule_overdue", 60), { now: NOW, overdue })[0]?.subject).toBe("nightly");
    expect(firingSubjects(rule("schedule_overdue", 91), { now: NOW, overdue })).toEqual([]);
    const off = { enabled: false, updatedAt: NOW - 10 * 60_000 };
    expect(firingSubjects(rule("dispatcher_suspended", 10), { now: NOW, dispatcher: off })).toHaveLength(1);
    expect(firingSubjects(rule("dispatcher_suspended", 11), { now: NOW, dispatcher: off })).toEqual([]);
    expect(
      firingSubjects(rule("dispatcher_suspended", 1), { now: NOW, dispatcher: { enabled: true, updatedAt: 0 } }),
    ).toEqual([]);
  });

  it("schedule_missed and remote_auth fire per schedule and per target", () => {
    const missed = new Map([["hourly", { missed: 2, firstAt: NOW - 1000 }]]);
    expect(firingSubjects(rule("schedule_missed", 2), { now: NOW, missed })[0]?.value).toBe(2);
    expect(firingSubjects(rule("schedule_missed", 3), { now: NOW, missed })).toEqual([]);
    const authFailed = [
      { name: "erp", lastErrorAt: NOW - 5 },
      { name: "crm", lastErrorAt: null },
    ];
    expect(firingSubjects(rule("remote_auth", 1, { subject: "erp" }), { now: NOW, authFailed })).toHaveLength(1);
    expect(firingSubjects(rule("remote_auth", 1), { now: NOW, authFailed })).toHaveLength(2);
  });
});

describe("delivery backoff", () => {
  it("waits longer after each failed attempt and gives up after the last", () => {
    const delays = Array.from({ length: MAX_DELIVERY_ATTEMPTS - 1 }, (_, i) => (nextDeliveryAt(NOW, i + 1) ?? 0) - NOW);
    expect(delays).toEqual([...DELIVERY_DELAYS_MS]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] ?? 0);
    expect(nextDeliveryAt(NOW, MAX_DELIVERY_ATTEMPTS)).toBeNull();
  });

  it("a receiver's Retry-After can only push the retry later", () => {
    expect(nextDeliveryAt(NOW, 1, 120)).toBe(NOW + 120_000);
    expect(nextDeliveryAt(NOW, 1, 1)).toBe(NOW + DELIVERY_DELAYS_MS[0]);
  });
});

describe("completion matching", () => {
  const sub = (over: Partial<WebhookSubscriptionRow>) =>
    ({ owner: "ann", allOwners: false, scope: "method", scopeValue: "m", ...over }) as WebhookSubscriptionRow;

  it("a subscription covers only its owner's tasks unless a System Manager made it", () => {
    expect(covers(sub({}), { method: "m", owner: "ann", batchId: null })).toBe(true);
    expect(covers(sub({}), { method: "m", owner: "bob", batchId: null })).toBe(false);
    expect(covers(sub({ allOwners: true }), { method: "m", owner: "bob", batchId: null })).toBe(true);
    expect(covers(sub({ scope: "batch", scopeValue: "b1" }), { method: "x", owner: "ann", batchId: "b1" })).toBe(true);
  });

  it("a failure with a retry scheduled is no completion event", () => {
    expect(completionEvent({ status: "Failed", wakeAt: NOW })).toBeNull();
    expect(completionEvent({ status: "Failed", wakeAt: null })).toBe("task.failed");
    expect(completionEvent({ status: "Started", wakeAt: null })).toBeNull();
  });
});

describe("channel formats", () => {
  const payload = JSON.stringify({
    type: "alert.firing",
    timestamp: new Date(NOW).toISOString(),
    data: {
      incident_id: "inc_1",
      rule_id: "alr_1",
      rule_name: "Failures\r\nBcc: evil@example.com",
      kind: "failure_rate",
      subject: "a.fail",
      state: "firing",
      summary: "3 of 4 failed — ünïcode",
      value: 0.75,
      threshold: 0.5,
      started_at: null,
      detected_at: null,
      resolved_at: null,
    },
  });

  it("Slack gets text and blocks", () => {
    const body = JSON.parse(slackBody(payload));
    expect(body.text).toContain("FIRING: Failures");
    expect(body.blocks[0].type).toBe("section");
  });

  it("email is one message whose subject cannot add headers", () => {
    const raw = emailMessage(payload, "alerts@example.com", "ops@example.com", "msg_1", NOW);
    const [head = ""] = raw.split("\r\n\r\n");
    expect(head.split("\r\n").filter((l) => l.startsWith("Bcc:"))).toEqual([]);
    expect(head).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    expect(head).toContain("Message-ID: <msg_1@example.com>");
  });
});

describe("webhook destinations", () => {
  it("loopback and http:// pass only with the local-development switch, as for remote targets", async () => {
    const { checkedDestination } = await import("../src/webhooks/destination");
    const off = { REMOTE_ALLOW_INSECURE_LOCAL: "off" } as unknown as Env;
    const on = { REMOTE_ALLOW_INSECURE_LOCAL: "on" } as unknown as Env;
    for (const url of [
      "http://127.0.0.1/hook",
      "https://localhost/hook",
      "https://[::1]/hook",
      "http://example.com/hook",
    ]) {
      expect(() => checkedDestination(off, url), url).toThrow(/^url /);
    }
    expect(checkedDestination(on, "http://127.0.0.1:8787/hook")).toEqual({
      url: "http://127.0.0.1:8787/hook",
      origin: "http://127.0.0.1:8787",
    });
    expect(checkedDestination(off, "https://hooks.example.com/x/").url).toBe("https://hooks.example.com/x");
  });
});
