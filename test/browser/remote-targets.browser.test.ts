// Remote targets in Chromium: the demo Frappe site npm start registers answers the connection test;
// a target registered through the form shows its signing secret once and never its credentials; a
// refused test flags it "auth failed" on its page and the Overview; rotating shows a new secret once;
// deleting a target in use asks twice; a Task User sees none of it (and the API refuses them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

interface Target {
  name: string;
  base_url: string;
  has_credentials: boolean;
  allowed_methods: string[];
  roles: string[];
  auth_failed: boolean;
  signing_secret_set_at: string;
}

/** The demo site npm start registers as "demo-frappe" shortly after the platform answers. */
async function demoSite(): Promise<Target> {
  let target: Target | null = null;
  await expect
    .poll(
      async () => {
        const answer = await api<Target>("GET", "/api/v1/remote-targets/demo-frappe");
        if (answer.status === 200) target = answer.body;
        return answer.status;
      },
      { timeout: 170_000, interval: 500 },
    )
    .toBe(200);
  if (target === null) throw new Error("demo-frappe is not registered");
  return target;
}

describe("remote targets", () => {
  it("tests the demo site, registers a target whose secrets stay hidden, flags auth failures, rotates and deletes", async () => {
    const site = await demoSite();
    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/remote-targets");
    const row = page.locator('tr[data-target="demo-frappe"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("myapp.api.*");

    // The demo site accepts our credentials and signature: the test says who we log in as.
    await row.getByRole("link", { name: "demo-frappe" }).click();
    await page.getByRole("heading", { name: "demo-frappe", exact: true }).waitFor();
    await page.getByRole("button", { name: "Test connection" }).click();
    const result = page.getByTestId("test-result");
    await expect.poll(() => result.textContent()).toMatch(/^Connected \(HTTP 200\): .*logged in as \S+@/);
    await expect.poll(() => page.getByTestId("target-health").textContent()).toBe("ok");
    await screenshot(page, "remote-target");

    // Register a second target through the form, with an API secret the site does not know.
    await page.getByRole("link", { name: "Remote targets" }).click();
    await page.getByRole("link", { name: "New remote target" }).click();
    await page.getByLabel("Name").fill("erp-wrong");
    await page.getByLabel("Base URL").fill(site.base_url);
    await page.getByLabel("API key").fill("demo-key");
    await page.getByLabel("API secret").fill("not-the-demo-secret");
    await page.getByLabel("Method patterns, one per line").fill("myapp.api.*\nSales Invoice.submit");
    await page.getByRole("button", { name: "Register target" }).click();
    const secretBox = page.getByTestId("new-secret");
    const signingSecret = ((await secretBox.locator("code").textContent()) ?? "").trim();
    expect(signingSecret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const created = await api<Target>("GET", "/api/v1/remote-targets/erp-wrong");
    expect(created.body).toMatchObject({
      has_credentials: true,
      allowed_methods: ["myapp.api.*", "Sales Invoice.submit"],
      roles: ["Task User"],
    });
    expect(JSON.stringify(created.body)).not.toContain("not-the-demo-secret");
    expect(JSON.stringify(created.body)).not.toContain(signingSecret);

    // Shown once: after "saved" and a reload, neither secret is anywhere in the page.
    await page.getByRole("button", { name: "I have saved it" }).click();
    await page.getByRole("heading", { name: "erp-wrong", exact: true }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "erp-wrong", exact: true }).waitFor();
    expect(await page.content()).not.toContain(signingSecret);
    expect(await page.content()).not.toContain("not-the-demo-secret");

    // The site refuses it: the test says so, the target is flagged, and the Overview shows it.
    await page.getByRole("button", { name: "Test connection" }).click();
    await expect.poll(() => result.textContent()).toMatch(/^Test failed \(HTTP 40[13]\)/);
    await expect.poll(() => page.getByTestId("target-health").textContent()).toBe("auth failed");
    await page.getByRole("alert").getByText("refused our credentials").waitFor();
    expect((await api<Target>("GET", "/api/v1/remote-targets/erp-wrong")).body.auth_failed).toBe(true);
    await page.evaluate(() => (location.hash = "#/remote-targets"));
    await expect
      .poll(() => page.locator('tr[data-target="erp-wrong"]').getByTestId("target-health").textContent())
      .toMatch(/^auth failed/);
    await screenshot(page, "remote-targets");
    await page.evaluate(() => (location.hash = "#/overview"));
    await expect.poll(() => page.getByTestId("auth-failed-targets").textContent()).toContain("erp-wrong");

    // Edit keeps the stored credentials unless told otherwise.
    await page.getByTestId("auth-failed-targets").click();
    await page.getByRole("heading", { name: "erp-wrong", exact: true }).waitFor();
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByLabel("Method patterns, one per line").fill("myapp.api.sync_*");
    await page.getByRole("checkbox", { name: "Report User" }).check();
    await page.getByRole("button", { name: "Save changes…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "erp-wrong", exact: true }).waitFor();
    await page.getByText("erp-wrong:myapp.api.sync_*", { exact: true }).waitFor();
    const edited = (await api<Target>("GET", "/api/v1/remote-targets/erp-wrong")).body;
    expect(edited).toMatchObject({
      has_credentials: true,
      allowed_methods: ["myapp.api.sync_*"],
      roles: ["Task User", "Report User"],
    });

    // Rotating shows a new secret once; the previous one keeps signing for the grace period.
    await page.getByRole("button", { name: "Rotate signing secret…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate" }).click();
    const rotated = ((await page.getByTestId("new-secret").locator("code").textContent()) ?? "").trim();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(signingSecret);
    await page.getByRole("button", { name: "I have saved it" }).click();
    expect(await page.content()).not.toContain(rotated);
    const after = (
      await api<Target & { previous_signing_secret_until: string | null }>("GET", "/api/v1/remote-targets/erp-wrong")
    ).body;
    expect(after.previous_signing_secret_until).not.toBeNull();
    expect(after.signing_secret_set_at > edited.signing_secret_set_at).toBe(true);

    // In use by a live (delayed) task: the delete is refused, then forced after a second confirmation.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const task = await api<{ name: string; status: string }>("POST", "/api/v1/tasks", {
      method: "erp-wrong:myapp.api.sync_customer",
      arguments: { customer: "CUST-0001" },
      run_at: runAt,
    });
    expect(task.status).toBe(201);
    await page.getByRole("button", { name: "Delete…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete target" }).click();
    await page.getByTestId("target-in-use").getByText("1 live task(s) run methods of erp-wrong").waitFor();
    expect((await api("GET", "/api/v1/remote-targets/erp-wrong")).status).toBe(200);
    await page.getByRole("button", { name: "Delete anyway…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete anyway" }).click();
    await page.getByRole("heading", { name: "Remote targets" }).waitFor();
    await page.locator('tr[data-target="demo-frappe"]').waitFor();
    expect(await page.locator('tr[data-target="erp-wrong"]').count()).toBe(0);
    expect((await api("GET", "/api/v1/remote-targets/erp-wrong")).status).toBe(404);

    // The Methods page lists the demo site's patterns and links them to their target.
    await page.evaluate(() => (location.hash = "#/methods"));
    const pattern = page.locator('tr[data-method="demo-frappe:myapp.api.*"]');
    await pattern.waitFor();
    await pattern.getByRole("link", { name: "demo-frappe" }).click();
    await page.getByRole("heading", { name: "demo-frappe", exact: true }).waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a Task User sees no remote targets page, and the API refuses them", async () => {
    const dana = await createKey("dana", ["Task User"]);
    const { page, context } = await newPage(browser);
    await signIn(page, dana);
    await page.getByRole("heading", { name: "Tasks" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Remote" }).count()).toBe(0);
    await page.evaluate(() => (location.hash = "#/remote-targets/demo-frappe"));
    await page.getByText("This page is for System Managers.").waitFor();
    expect(await page.content()).not.toContain("demo-key");
    for (const [method, path] of [
      ["GET", "/api/v1/remote-targets"],
      ["GET", "/api/v1/remote-targets/demo-frappe"],
      ["POST", "/api/v1/remote-targets/demo-frappe/test"],
      ["DELETE", "/api/v1/remote-targets/demo-frappe"],
    ] as const)
      expect((await api(method, path, undefined, dana)).status).toBe(403);
    await context.close();
  });
});
