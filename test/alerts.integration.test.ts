// Alerts end to end: a failure burst opens one incident and sends one signed firing notice to a
// real receiver, later evaluations add nothing, the end of the burst sends one resolved notice;
// failed notices are retried with backoff under the same webhook-id; bad input changes nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { evaluateAlerts } from "../src/alerts/evaluate";
import { checkBaseUrl } from "../src/remote/url-policy";
import { sendDeliveries } from "../src/webhooks/deliver";
import { DELIVERY_DELAYS_MS } from "../src/webhooks/backoff";
import { expectErrorEnvelope } from "./api-support";
import { runCron } from "./fixtures";
import { call, createKey, enqueue, settleLog, waitForStatus } from "./helpers";
import { answerWith, newInbox, received, signedBy, typeOf, waitForHooks } from "./hook-support";

async function webhookChannel(url: string): Promise<{ id: string; secret: string }> {
  const res = await call("/api/v1/alerts/channels", { body: { name: "on-call", kind: "webhook", url } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.signing_secret).toMatch(/^whsec_/);
  return { id: res.body.id, secret: res.body.signing_secret };
}

async function rule(body: Record<string, unknown>): Promise<string> {
  const res = await call("/api/v1/alerts/rules", { body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function count(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? 0;
}

describe("a failure burst", () => {
  it("sends exactly one signed firing notice and one resolved notice per incident", async () => {
    const inbox = newInbox();
    const slackInbox = newInbox();
    const channel = await webhookChannel(inbox.url);
    const slack = await call("/api/v1/alerts/channels", {
      body: { name: "slack", kind: "slack", url: slackInbox.url },
    });
    expect(slack.status).toBe(201);
    expect(slack.body.signing_secret).toBeUndefined();
    expect(slack.body.url_origin).toBe(new URL(slackInbox.url).origin);
    const ruleId = await rule({
      name: "demo.fail failures",
      kind: "failure_rate",
      method: "demo.fail",
      threshold: 0.5,
      window: "5m",
      min_tasks: 3,
      channels: [channel.id, slack.body.id],
    });

    // Two failures are below min_tasks: nothing fires.
    const first = await Promise.all([1, 2].map(() => enqueue({ method: "demo.fail", arguments: { message: "boom" } })));
    await Promise.all(first.map((t) => waitForStatus(t.name, "Failed")));
    await settleLog();
    await runCron();
    expect(await received(inbox.url)).toHaveLength(0);

    const burst = await Promise.all(
      [1, 2, 3].map(() => enqueue({ method: "demo.fail", arguments: { message: "boom" } })),
    );
    await Promise.all(burst.map((t) => waitForStatus(t.name, "Failed")));
    await settleLog();
    await runCron();
    const [firing] = await waitForHooks(inbox.url, 1);
    if (firing === undefined) throw new Error("no firing notice");
    expect(typeOf(firing)).toBe("alert.firing");
    expect(await signedBy(firing, channel.secret)).toBe(true);
    expect(await signedBy(firing, "whsec_" + btoa("x".repeat(32)))).toBe(false);
    const notice = JSON.parse(firing.body);
    expect(notice.data).toMatchObject({ rule_id: ruleId, subject: "demo.fail", state: "firing" });
    const [slackNotice] = await waitForHooks(slackInbox.url, 1);
    expect(JSON.parse(slackNotice?.body ?? "{}").text).toContain("FIRING: demo.fail failures (demo.fail)");

    // More failures and more evaluations: the same incident, no second notice.
    const more = await enqueue({ method: "demo.fail", arguments: { message: "boom" } });
    await waitForStatus(more.name, "Failed");
    await settleLog();
    await runCron();
    await runCron();
    expect((await received(inbox.url)).map(typeOf)).toEqual(["alert.firing"]);
    const incidents = await call(`/api/v1/alerts/incidents?rule=${ruleId}`);
    expect(incidents.body.data).toHaveLength(1);
    expect(incidents.body.data[0].state).toBe("firing");
    expect((await call(`/api/v1/alerts/rules/${ruleId}`)).body.firing).toBe(1);

    // The window passes the burst: one resolved notice, then nothing more.
    const later = Date.now() + 6 * 60_000;
    const run = await evaluateAlerts(env, later);
    expect(run.resolved).toHaveLength(1);
    expect((await evaluateAlerts(env, later + 60_000)).resolved).toHaveLength(0);
    const all = await waitForHooks(inbox.url, 2);
    expect(all.map(typeOf)).toEqual(["alert.firing", "alert.resolved"]);
    expect(await signedBy(all[1] ?? firing, channel.secret)).toBe(true);
    expect(all[0]?.headers["webhook-id"]).not.toBe(all[1]?.headers["webhook-id"]);
    const resolved = await call(`/api/v1/alerts/incidents?rule=${ruleId}`);
    expect(resolved.body.data[0]).toMatchObject({ state: "resolved", subject: "demo.fail" });
    const log = await call(`/api/v1/alerts/deliveries?channel=${channel.id}`);
    expect(log.body.data.map((d: { event_type: string; status: string }) => [d.event_type, d.status])).toEqual([
      ["alert.resolved", "delivered"],
      ["alert.firing", "delivered"],
    ]);
  });

  it("a muted rule records the incident but sends nothing", async () => {
    const inbox = newInbox();
    const channel = await webhookChannel(inbox.url);
    const ruleId = await rule({
      name: "muted",
      kind: "dispatcher_suspended",
      threshold: 1,
      channels: [channel.id],
      muted_until: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: false } });
    try {
      const run = await evaluateAlerts(env, Date.now() + 2 * 60_000);
      const incident = run.opened.find((i) => i.ruleId === ruleId);
      expect(incident?.subject).toBe("");
      const sent = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE incident_id = ?")
        .bind(incident?.id ?? "")
        .first<{ n: number }>();
      expect(sent?.n).toBe(0);
    } finally {
      await call("/api/v1/dispatcher", { method: "PUT", body: { enabled: true } });
    }
    expect(await received(inbox.url)).toHaveLength(0);
    const patched = await call(`/api/v1/alerts/rules/${ruleId}`, {
      method: "PATCH",
      body: { muted_until: null, enabled: false },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ muted_until: null, enabled: false });
    expect((await call(`/api/v1/alerts/rules/${ruleId}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("delivery retries", () => {
  it("a receiver answering 500 is tried again after the backoff, with the same webhook-id, until it accepts", async () => {
    const inbox = newInbox();
    const channel = await webhookChannel(inbox.url);
    await answerWith(inbox.url, [500, 503]);
    const test = await call(`/api/v1/alerts/channels/${channel.id}/test`, { method: "POST" });
    expect(test.status).toBe(200);
    const delivery = test.body.delivery;
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, response_status: 500, event_type: "alert.test" });
    const firstAt = Date.parse(delivery.last_attempt_at);
    expect(Date.parse(delivery.next_attempt_at)).toBe(firstAt + DELIVERY_DELAYS_MS[0]);

    // Not yet due: nothing is sent.
    expect(await sendDeliveries(env, null, firstAt + DELIVERY_DELAYS_MS[0] - 1)).toEqual([]);
    const second = await sendDeliveries(env, null, firstAt + DELIVERY_DELAYS_MS[0]);
    expect(second).toEqual([{ id: delivery.id, status: "pending", responseStatus: 503, error: "HTTP 503" }]);
    const secondAt = firstAt + DELIVERY_DELAYS_MS[0];
    expect(await sendDeliveries(env, null, secondAt + DELIVERY_DELAYS_MS[1] - 1)).toEqual([]);
    const third = await sendDeliveries(env, null, secondAt + DELIVERY_DELAYS_MS[1]);
    expect(third).toEqual([{ id: delivery.id, status: "delivered", responseStatus: 204, error: null }]);
    expect(await sendDeliveries(env, [delivery.id], secondAt + 10 * DELIVERY_DELAYS_MS[1])).toEqual([]);

    const got = await received(inbox.url);
    expect(got.map((r) => r.status)).toEqual([500, 503, 204]);
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(new Set([delivery.id]));
    for (const r of got) expect(await signedBy(r, channel.secret)).toBe(true);
    const log = await call(`/api/v1/alerts/deliveries?channel=${channel.id}`);
    expect(log.body.data[0]).toMatchObject({ id: delivery.id, status: "delivered", attempts: 3 });
  });
});

describe("bad input changes nothing", () => {
  const refused = [
    "http://10.0.0.1/hook",
    "http://192.168.1.10/hook",
    "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:10.0.0.1]/hook",
    "http://0x0a000001/hook",
    "http://167772161/hook",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://metadata.google.internal/hook",
    "https://user:pw@example.com/hook",
    "https://example.com/hook?token=1",
    "ftp://example.com/hook",
    "http://loca%6chost/hook",
    "https://0.0.0.0/",
    "https://0/",
    "https://printer.local/",
    "https://db.internal/",
    "https://metadata/",
    "https://192.0.0.192/",
    "https://172.31.255.255/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://198.18.0.1/",
    "https://[::]/",
    "https://[::ffff:169.254.169.254]/",
    "https://ｌｏｃａｌｈｏｓｔ/",
    "https://127。0。0。1/",
    "https://a..example.com/",
    "https://example.com/a#frag",
    "https://example.com\\@10.0.0.1/",
  ];

  it("refuses every private, internal or malformed webhook URL the remote-target policy refuses", async () => {
    const before = await count("alert_channels");
    for (const url of refused) {
      for (const kind of ["webhook", "slack"]) {
        const res = await call("/api/v1/alerts/channels", { body: { name: "x", kind, url } });
        expect(res.status, `${kind} ${url}`).toBe(400);
        expectErrorEnvelope(res, 400, "url_refused");
        // The one policy remote targets use (with the same local-development switch the tests set).
        const policy = checkBaseUrl(url, { allowInsecureLocal: true });
        expect(policy.ok, url).toBe(false);
        if (!policy.ok) expect(res.body.error.message).toBe(`url ${policy.reason}`);
      }
    }
    expect(await count("alert_channels")).toBe(before);
  });

  it("refuses an unknown window, an unknown method, a field the kind does not take and a missing channel", async () => {
    const before = await count("alert_rules");
    const cases: [Record<string, unknown>, string][] = [
      [{ name: "r", kind: "failure_rate", threshold: 0.5, window: "7m" }, "window"],
      [{ name: "r", kind: "failure_rate", threshold: 0.5, method: "no.such.method" }, "method"],
      [{ name: "r", kind: "failure_rate", threshold: 0.5, method: "nosuchtarget:x.y" }, "method"],
      [{ name: "r", kind: "failure_rate", threshold: 1.5 }, "threshold"],
      [{ name: "r", kind: "schedule_overdue", threshold: 60, method: "demo.fail" }, "method"],
      [{ name: "r", kind: "schedule_overdue", threshold: 60, schedule: "no-such-schedule" }, "schedule"],
      [{ name: "r", kind: "remote_auth", threshold: 1, remote_target: "nope" }, "remote_target"],
      [{ name: "r", kind: "dead_letters", threshold: 1, channels: ["ach_missing"] }, "channels"],
      [{ name: "r", kind: "no_such_kind", threshold: 1 }, "kind"],
    ];
    for (const [body, field] of cases) {
      const res = await call("/api/v1/alerts/rules", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.body.error), JSON.stringify(body)).toContain(field);
    }
    expect(await count("alert_rules")).toBe(before);
  });

  it("alerts are for System Managers only, and unknown ids are 404", async () => {
    const user = await createKey("alerts-user");
    for (const [path, method] of [
      ["/api/v1/alerts/rules", "GET"],
      ["/api/v1/alerts/channels", "GET"],
      ["/api/v1/alerts/incidents", "GET"],
      ["/api/v1/alerts/deliveries", "GET"],
    ] as const) {
      expect((await call(path, { method, key: user })).status).toBe(403);
    }
    const res = await call("/api/v1/alerts/rules", {
      key: user,
      body: { name: "r", kind: "dead_letters", threshold: 1 },
    });
    expect(res.status).toBe(403);
    expect((await call("/api/v1/alerts/rules/alr_nope")).status).toBe(404);
    expect((await call("/api/v1/alerts/channels/ach_nope", { method: "PATCH", body: { name: "x" } })).status).toBe(404);
    expect((await call("/api/v1/alerts/channels/ach_nope/test", { method: "POST" })).status).toBe(404);
  });

  it("a channel a rule uses cannot be deleted; channels and rules can be edited", async () => {
    const inbox = newInbox();
    const channel = await webhookChannel(inbox.url);
    const ruleId = await rule({ name: "dl", kind: "dead_letters", threshold: 1, channels: [channel.id] });
    const del = await call(`/api/v1/alerts/channels/${channel.id}`, { method: "DELETE" });
    expectErrorEnvelope(del, 409, "channel_in_use");
    const other = newInbox();
    const edited = await call(`/api/v1/alerts/channels/${channel.id}`, {
      method: "PATCH",
      body: { url: other.url, name: "renamed" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: "renamed", url_origin: new URL(other.url).origin });
    expect(edited.body.signing_secret).toBeUndefined();
    const bad = await call(`/api/v1/alerts/channels/${channel.id}`, {
      method: "PATCH",
      body: { url: "http://10.1.2.3/x" },
    });
    expectErrorEnvelope(bad, 400, "url_refused");
    expect((await call(`/api/v1/alerts/channels/${channel.id}`)).body.url_origin).toBe(new URL(other.url).origin);
    const changed = await call(`/api/v1/alerts/rules/${ruleId}`, {
      method: "PATCH",
      body: { threshold: 5, window: "1h", channels: [] },
    });
    expect(changed.body).toMatchObject({ threshold: 5, window: "1h", channels: [] });
    const badWindow = await call(`/api/v1/alerts/rules/${ruleId}`, { method: "PATCH", body: { window: "2h" } });
    expect(badWindow.status).toBe(400);
    expect((await call(`/api/v1/alerts/rules/${ruleId}`)).body.window).toBe("1h");
    expect((await call(`/api/v1/alerts/channels/${channel.id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("email channels", () => {
  it("send test delivers a notice through the send_email binding", async () => {
    const res = await call("/api/v1/alerts/channels", {
      body: { name: "mail", kind: "email", email: "oncall@example.com" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ kind: "email", email: "oncall@example.com", url_origin: null });
    const test = await call(`/api/v1/alerts/channels/${res.body.id}/test`, { method: "POST" });
    expect(test.body.delivery, JSON.stringify(test.body)).toMatchObject({ status: "delivered", attempts: 1 });
    const noUrl = await call("/api/v1/alerts/channels", {
      body: { name: "m", kind: "email", url: "https://example.com/x" },
    });
    expect(noUrl.status).toBe(400);
    const noEmail = await call("/api/v1/alerts/channels", { body: { name: "m", kind: "email" } });
    expectErrorEnvelope(noEmail, 400, "missing_field");
  });
});
