// Admin pages and roles in Chromium: the dispatcher switch asks first, a new API key's secret is
// shown once, a Task User sees neither other users' tasks nor admin pages (and the API refuses them).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

describe("settings", () => {
  it("suspends and resumes the dispatcher only after confirming", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/settings");
    const state = page.getByTestId("dispatcher-state");
    await expect.poll(() => state.textContent()).toMatch(/running/);
    await page.getByRole("button", { name: "Suspend dispatcher…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Go back" }).click();
    expect((await api("GET", "/api/v1/dispatcher")).body.enabled).toBe(true);

    await page.getByRole("button", { name: "Suspend dispatcher…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Suspend" }).click();
    await expect.poll(() => state.textContent()).toMatch(/suspended/);
    expect((await api("GET", "/api/v1/dispatcher")).body.enabled).toBe(false);
    await screenshot(page, "settings");

    await page.getByRole("button", { name: "Resume dispatcher…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => state.textContent()).toMatch(/running/);
    expect((await api("GET", "/api/v1/dispatcher")).body.enabled).toBe(true);
    await context.close();
  });

  it("creates an API key whose secret is shown once, and revokes it", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/api-keys");
    await page.getByRole("textbox", { name: "User" }).fill("carol");
    await page.getByLabel("Label").fill("laptop");
    await page.getByRole("checkbox", { name: "Report User" }).check();
    // The roles sit side by side as plain checkboxes (not stretched like text inputs).
    const boxes = await Promise.all(
      ["Task User", "Report User", "System Manager"].map((r) => page.getByRole("checkbox", { name: r }).boundingBox()),
    );
    for (const box of boxes) {
      expect(box?.height).toBeLessThan(20);
      expect(box?.y).toBe(boxes[0]?.y);
    }
    // A double click makes one key, not two.
    await page.getByRole("button", { name: "Create key" }).dblclick();
    const secretBox = page.getByTestId("new-secret");
    const apiKey = ((await secretBox.locator("code").textContent()) ?? "").trim();
    expect(apiKey).toMatch(/^[a-z0-9]+:[a-z0-9]{40}$/);
    // It works, and it is never shown again: not in the list, not after a reload.
    expect((await api("GET", "/api/v1/tasks", undefined, apiKey)).status).toBe(200);
    const [keyId, secret] = apiKey.split(":");
    await page.locator(`tr[data-key="${keyId}"]`).waitFor();
    const all = (await api<{ data: { user: string; revoked_at: string | null }[] }>("GET", "/api/v1/api-keys")).body;
    expect(all.data.filter((k) => k.user === "carol" && k.revoked_at === null)).toHaveLength(1);
    await screenshot(page, "api-keys");
    await page.getByRole("button", { name: "I have saved it" }).click();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.locator(`tr[data-key="${keyId}"]`).waitFor();
    expect(await page.content()).not.toContain(secret);

    await page.locator(`tr[data-key="${keyId}"]`).getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => page.locator(`tr[data-key="${keyId}"]`).textContent()).toMatch(/revoked/);
    expect((await api("GET", "/api/v1/tasks", undefined, apiKey)).status).toBe(401);
    await context.close();
  });
});

describe("methods", () => {
  it("a limit is saved as typed; a cleared one is refused by the page, not sent as 0 (unlimited)", async () => {
    expect((await api("PUT", "/api/v1/task-types/demo.count", { concurrency_limit: 2, priority: 0 })).status).toBe(200);
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/methods");
    const row = page.locator('tr[data-method="demo.count"]');
    const limit = row.getByLabel("Concurrency limit of demo.count (0 = unlimited)");
    await expect.poll(() => limit.inputValue()).toBe("2");

    await limit.fill("");
    await row.getByRole("button", { name: "Save" }).click();
    expect(await limit.evaluate((el: HTMLInputElement) => el.validity.valueMissing)).toBe(true);
    expect((await api("GET", "/api/v1/task-types/demo.count")).body.concurrency_limit).toBe(2);

    await limit.fill("4");
    await row.getByRole("button", { name: "Save" }).click();
    await row.getByRole("status").getByText("Saved").waitFor();
    expect((await api("GET", "/api/v1/task-types/demo.count")).body.concurrency_limit).toBe(4);
    // Editing again takes the old "Saved" away: it no longer describes what is in the fields.
    await limit.fill("5");
    expect(await row.getByRole("status").count()).toBe(0);
    await context.close();
  });
});

describe("roles", () => {
  it("a Task User sees only their own tasks and no admin pages; the API refuses them too", async () => {
    const alice = await createKey("alice", ["Task User"]);
    const bob = await createKey("bob", ["Task User"]);
    const bobs = await api<{ name: string }>(
      "POST",
      "/api/v1/tasks",
      { method: "demo.sleep", arguments: { ms: 1 }, job_name: "bob-secret" },
      bob,
    );
    const alices = await api<{ name: string }>(
      "POST",
      "/api/v1/tasks",
      { method: "demo.sleep", arguments: { ms: 1 }, job_name: "alice-own" },
      alice,
    );
    expect([bobs.status, alices.status]).toEqual([201, 201]);

    const { page, context } = await newPage(browser);
    await signIn(page, alice);
    // Lands on Tasks (no Overview for non-admins); admin links are not there.
    await page.getByRole("heading", { name: "Tasks" }).waitFor();
    await page.locator(`tr[data-name="${alices.body.name}"]`).waitFor();
    expect(await page.locator(`tr[data-name="${bobs.body.name}"]`).count()).toBe(0);
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const admin of ["Overview", "Settings", "API keys"])
      expect(await nav.getByRole("link", { name: admin }).count()).toBe(0);
    expect(await page.getByLabel("Owner").count()).toBe(0);

    await page.evaluate((name) => (location.hash = `#/tasks/${name}`), bobs.body.name);
    await page.getByRole("alert").getByText(`task ${bobs.body.name} not found`).waitFor();
    await page.evaluate(() => (location.hash = "#/settings"));
    await page.getByText("This page is for System Managers.").waitFor();

    // The API says the same to the same user (the console cannot do more than the API allows).
    expect((await api("GET", `/api/v1/tasks/${bobs.body.name}`, undefined, alice)).status).toBe(404);
    expect((await api("GET", "/api/v1/ops", undefined, alice)).status).toBe(403);
    expect((await api("PUT", "/api/v1/dispatcher", { enabled: false }, alice)).status).toBe(403);
    expect((await api("GET", "/api/v1/api-keys", undefined, alice)).status).toBe(403);
    await context.close();
  });
});

describe("overview and small screens", () => {
  it("shows per-method figures and the 24 h charts; the task list works at phone width", async () => {
    const { page, context, problems } = await newPage(browser);
    await api("PUT", "/api/v1/task-types/demo.sleep", { concurrency_limit: 3 });
    await api("POST", "/api/v1/tasks", { method: "demo.fail", arguments: { message: "for the chart" } });
    await signIn(page, undefined, "/ui/#/overview");
    await page.locator('tr[data-method="demo.sleep"]').waitFor();
    await expect.poll(() => page.locator(".chart canvas").count()).toBe(2);
    expect(await page.locator('tr[data-method="demo.sleep"]').textContent()).toContain("/ 3");
    await screenshot(page, "overview");
    await page.goto(`${page.url().split("#")[0]}#/tasks`);
    await page.locator("tbody tr").first().waitFor();
    await screenshot(page, "tasks");
    await page.goto(`${page.url().split("#")[0]}#/methods`);
    await page.locator('tr[data-method="demo.count"]').waitFor();
    await screenshot(page, "methods");
    await context.close();

    const phone = await newPage(browser, { width: 390, height: 844 });
    await signIn(phone.page, undefined, "/ui/#/tasks");
    await phone.page.locator("tbody tr").first().waitFor();
    const overflow = () =>
      phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    // Every page's link is in sight (none hidden off the side of a scrolling bar).
    const links = phone.page.getByRole("navigation", { name: "Main" }).getByRole("link");
    expect(await links.count()).toBeGreaterThan(8);
    for (const box of await Promise.all((await links.all()).map((l) => l.boundingBox()))) {
      expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 390).toBe(true);
    }
    await screenshot(phone.page, "tasks-phone");
    // Every other page fits the phone's width too: wide tables scroll inside their own box.
    for (const [path, heading] of [
      ["api-keys", "API keys"],
      ["methods", "Methods and task types"],
      ["batches", "Batches"],
      ["scheduled-jobs", "Scheduled jobs"],
      ["remote-targets", "Remote targets"],
      ["settings", "Settings"],
      ["overview", "Overview"],
      ["alerts", "Alerts"],
      ["webhooks", "Webhooks"],
    ] as const) {
      await phone.page.evaluate((p) => (location.hash = `#/${p}`), path);
      await phone.page.getByRole("heading", { name: heading, exact: true }).waitFor();
      await expect.poll(() => phone.page.locator(".state-loading").count()).toBe(0);
      expect(await overflow(), path).toBeLessThanOrEqual(0);
    }
    expect([...problems, ...phone.problems]).toEqual([]);
    await phone.context.close();
  });
});
