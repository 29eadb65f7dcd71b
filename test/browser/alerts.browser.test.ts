// Alerts and webhooks in Chromium, through the platform as `npm start` runs it, with the demo site's
// webhook receiver: an admin adds a signed webhook channel (secret once), sends a test, adds and edits
// a failure-rate rule, and sees a burst's incident and its delivered notice; a Task User has no
// Alerts page, manages their own webhook subscription (test, deliveries of a real task end) and
// another Task User sees none of it (404 through the API).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { verify } from "../../src/remote/signing";
import { api, baseUrl, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const tag = () => Math.random().toString(36).slice(2, 8);

/** The demo site's origin (npm start registers it as the remote target "demo-frappe"), home of the receiver. */
async function siteOrigin(): Promise<string> {
  let origin = "";
  await expect
    .poll(
      async () => {
        const answer = await api<{ base_url: string }>("GET", "/api/v1/remote-targets/demo-frappe");
        if (answer.status === 200) origin = answer.body.base_url;
        return answer.status;
      },
      { timeout: 170_000, interval: 500 },
    )
    .toBe(200);
  return origin;
}

interface Hook {
  headers: Record<string, string>;
  body: string;
  status: number;
}
const inboxOf = async (url: string): Promise<Hook[]> =>
  ((await (await fetch(url.replace("/hooks/", "/__hooks/"))).json()) as { received: Hook[] }).received;

describe("alerts page", () => {
  it("adds a signed channel, tests it, adds and edits a rule, and shows a burst's incident and notice", async () => {
    const origin = await siteOrigin();
    const inbox = `${origin}/hooks/alerts-${tag()}`;
    const { page, problems } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/alerts");
    await page.getByRole("heading", { name: "Alerts", exact: true }).waitFor();

    const channelName = `on-call-${tag()}`;
    const channelForm = page.getByRole("form", { name: "New channel" });
    await channelForm.getByLabel("Channel name").fill(channelName);
    await channelForm.getByLabel("Channel URL").fill(inbox);
    await channelForm.getByRole("button", { name: "Add channel" }).click();
    const secret = ((await page.getByTestId("new-secret").locator("code").textContent()) ?? "").trim();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "I have saved it" }).click();
    const channelRow = page.locator(`tr[data-channel="${channelName}"]`);
    expect(await channelRow.textContent()).toContain(new URL(origin).host);
    expect(await page.content()).not.toContain(secret);

    await channelRow.getByRole("button", { name: "Send test" }).click();
    await expect.poll(() => page.getByTestId("channel-test-result").textContent()).toContain("Delivered (HTTP 204)");
    const [test] = await inboxOf(inbox);
    expect(test?.body).toContain('"alert.test"');
    const checked = await verify({
      headers: test?.headers ?? {},
      body: test?.body ?? "",
      secrets: [secret],
      nowS: Math.floor(Date.now() / 1000),
    });
    expect(checked).toEqual({ ok: true });

    // A rule through the form, then edited.
    const ruleName = `burst-${tag()}`;
    const ruleForm = page.getByRole("form", { name: "New rule" });
    await ruleForm.getByLabel("Rule name").fill(ruleName);
    await ruleForm.getByLabel("Method").fill("demo.fail");
    await ruleForm.getByLabel(/^Threshold/).fill("0.5");
    await ruleForm.getByLabel("Window").selectOption("5m");
    await ruleForm.getByLabel(channelName).check();
    await ruleForm.getByRole("button", { name: "Add rule" }).click();
    const ruleRow = page.locator(`tr[data-rule="${ruleName}"]`);
    await ruleRow.waitFor();
    expect(await ruleRow.textContent()).toContain("failure_rate · demo.fail");
    await ruleRow.getByRole("button", { name: "Edit" }).click();
    const editForm = page.getByRole("form", { name: "Edit rule" });
    await editForm.getByLabel(/^Threshold/).fill("0.6");
    await editForm.getByRole("button", { name: "Save rule" }).click();
    await expect.poll(() => ruleRow.textContent()).toContain("0.6 in 5m");

    // A burst of failures, then the minute's evaluation (npm start's scheduled handler, fired now).
    const tasks = await Promise.all(
      [1, 2, 3].map(() => api("POST", "/api/v1/tasks", { method: "demo.fail", arguments: { message: "burst" } })),
    );
    for (const t of tasks) expect(t.status).toBe(201);
    for (const t of tasks) {
      await expect
        .poll(async () => (await api("GET", `/api/v1/tasks/${t.body.name}`)).body.status, { timeout: 170_000 })
        .toBe("Failed");
    }
    await expect
      .poll(
        async () => {
          await fetch(`${baseUrl()}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`);
          return (await inboxOf(inbox)).map((h) => (JSON.parse(h.body) as { type: string }).type);
        },
        { timeout: 170_000, interval: 2_000 },
      )
      .toContain("alert.firing");
    await page.reload();
    await expect.poll(() => ruleRow.getByTestId("rule-state").textContent()).toMatch(/^firing \(1\)/);
    const incident = page.locator("tr[data-incident]").filter({ hasText: ruleName });
    expect(await incident.first().textContent()).toContain("firing");
    const notice = page.locator("tr[data-delivery]").filter({ hasText: "alert.firing" });
    expect(await notice.first().getByTestId("delivery-outcome").textContent()).toContain("Delivered");
    await screenshot(page, "alerts");

    await ruleRow.getByRole("button", { name: "Mute 1 h" }).click();
    await expect.poll(() => ruleRow.getByTestId("rule-state").textContent()).toContain("muted until");
    await ruleRow.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
    await ruleRow.waitFor({ state: "detached" });
    expect(problems).toEqual([]);
  });
});

describe("webhook subscriptions", () => {
  it("a Task User manages their own subscription, and another Task User sees none of it", async () => {
    const origin = await siteOrigin();
    const inbox = `${origin}/hooks/subs-${tag()}`;
    const alice = await createKey(`alice-${tag()}`, ["Task User"]);
    const bob = await createKey(`bob-${tag()}`, ["Task User"]);
    const { page, problems } = await newPage(browser);
    await signIn(page, alice, "/ui/#/webhooks");
    await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
    expect(await page.getByRole("link", { name: "Alerts" }).count()).toBe(0);

    const form = page.getByRole("form", { name: "New subscription" });
    await form.getByLabel("Method", { exact: true }).fill("demo.echo");
    await form.getByLabel("task.failed").uncheck();
    await form.getByLabel("Webhook URL").fill(inbox);
    await form.getByRole("button", { name: "Subscribe" }).click();
    const secret = ((await page.getByTestId("new-secret").locator("code").textContent()) ?? "").trim();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "I have saved it" }).click();
    const row = page.locator("tr[data-subscription]");
    await row.waitFor();
    expect(await row.textContent()).toContain("method demo.echo");
    const id = (await row.getAttribute("data-subscription")) ?? "";

    await row.getByRole("button", { name: "Send test" }).click();
    await expect.poll(() => page.getByTestId("webhook-test-result").textContent()).toContain("Delivered");

    // A real task end reaches the receiver, and the deliveries list shows it.
    await expect
      .poll(
        async () => {
          const task = await api("POST", "/api/v1/tasks", { method: "demo.echo", arguments: { n: 1 } }, alice);
          expect(task.status).toBe(201);
          return (await inboxOf(inbox)).some((h) => h.body.includes('"task.finished"'));
        },
        { timeout: 170_000, interval: 3_000 },
      )
      .toBe(true);
    await row.getByRole("button", { name: "Deliveries" }).click();
    await expect
      .poll(async () => {
        await row.getByRole("button", { name: "Deliveries" }).click();
        await row.getByRole("button", { name: "Deliveries" }).click();
        return page.locator("tr[data-delivery]").filter({ hasText: "task.finished" }).count();
      })
      .toBeGreaterThan(0);
    const delivered = await inboxOf(inbox);
    for (const h of delivered) {
      const result = await verify({
        headers: h.headers,
        body: h.body,
        secrets: [secret],
        nowS: Math.floor(Date.now() / 1000),
      });
      expect(result).toEqual({ ok: true });
    }

    // Edit: only failures from now on.
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit subscription" });
    await edit.getByLabel("task.finished").uncheck();
    await edit.getByLabel("task.failed").check();
    await edit.getByRole("button", { name: "Save subscription" }).click();
    await expect.poll(() => row.locator("td").nth(1).textContent()).toBe("task.failed");
    expect(problems).toEqual([]);

    // Bob sees none of it.
    const other = await newPage(browser);
    await signIn(other.page, bob, "/ui/#/webhooks");
    await other.page.getByText("No webhook subscriptions yet.").waitFor();
    expect((await api("GET", `/api/v1/webhooks/${id}`, undefined, bob)).status).toBe(404);
    expect((await api("DELETE", `/api/v1/webhooks/${id}`, undefined, bob)).status).toBe(404);
    expect((await api("GET", `/api/v1/webhooks/${id}`, undefined, alice)).status).toBe(200);
    const refused = await api(
      "POST",
      "/api/v1/webhooks",
      { owner: "someone-else", events: ["task.finished"], url: inbox },
      bob,
    );
    expect(refused.status).toBe(404);
    expect(other.problems).toEqual([]);
  });
});
