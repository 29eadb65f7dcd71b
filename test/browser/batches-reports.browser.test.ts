// Batches and prepared reports in Chromium: a batch's bar reaches done = total live; a report started
// from its generated form completes and downloads with the right content.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

const tag = () => Math.random().toString(36).slice(2, 8);

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

describe("batches", () => {
  it("a batch's progress bar reaches done = total while the page watches", async () => {
    const { page, context, problems } = await newPage(browser);
    await signIn(page);
    // Held back by the dispatcher until the page is open, so the bar is seen moving from 0.
    expect((await api("PUT", "/api/v1/dispatcher", { enabled: false })).status).toBe(200);
    const tasks = Array.from({ length: 30 }, (_, i) => ({
      method: "demo.sleep",
      arguments: { ms: 50 + (i % 5) * 20 },
    }));
    const res = await api<{ batch_id: string }>("POST", "/api/v1/tasks/bulk", { tasks, failure_policy: "continue" });
    expect(res.status).toBe(201);
    const id = res.body.batch_id;
    await page.goto(`${page.url().split("#")[0]}#/batches/${id}`);
    const bar = page.getByRole("progressbar", { name: "Batch progress" });
    await expect.poll(() => bar.getAttribute("aria-valuenow")).toBe("0");
    expect(await bar.getAttribute("aria-valuemax")).toBe("30");
    expect((await api("PUT", "/api/v1/dispatcher", { enabled: true })).status).toBe(200);
    await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 120_000 }).toBe("30");
    await page.getByText("30 of 30 done").waitFor();
    // Nothing is left to cancel, resume or retry in a batch that finished without failures.
    const actions = page.getByRole("group", { name: "Batch actions" });
    for (const label of ["Cancel batch", "Resume paused", "Retry failed", "Requeue failed items"])
      expect(await actions.getByRole("button", { name: label }).isDisabled(), label).toBe(true);
    await screenshot(page, "batch-detail");
    await page.goto(`${page.url().split("#")[0]}#/batches`);
    await page.locator(`tr[data-batch="${id}"]`).waitFor();
    await screenshot(page, "batches");
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe("batch list", () => {
  it("is live: a new batch appears on top and its bar fills while the page is open", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/batches");
    await page.getByRole("heading", { name: "Batches" }).waitFor();
    await expect.poll(() => page.locator(".state-loading").count()).toBe(0);
    const tasks = Array.from({ length: 8 }, () => ({ method: "demo.sleep", arguments: { ms: 30 } }));
    const res = await api<{ batch_id: string }>("POST", "/api/v1/tasks/bulk", { tasks });
    expect(res.status).toBe(201);
    // No reload: the row comes with the batch's task events.
    const row = page.locator(`tr[data-batch="${res.body.batch_id}"]`);
    await row.waitFor();
    expect(await page.locator("tbody tr").first().getAttribute("data-batch")).toBe(res.body.batch_id);
    const bar = row.getByRole("progressbar");
    await expect.poll(() => bar.getAttribute("aria-valuenow"), { timeout: 120_000 }).toBe("8");
    await expect.poll(() => row.locator("td.num").first().textContent()).toBe("8");
    await context.close();
  });
});

describe("prepared reports", () => {
  it("a report the user's roles may not run says so instead of offering its form", async () => {
    const key = await createKey(`no-reports-${tag()}`, ["Task User"]);
    const { page, context } = await newPage(browser);
    await signIn(page, key, "/ui/#/reports/Demo%20Numbers");
    await page.getByText("The report Demo Numbers is not available to your roles.").waitFor();
    expect(await page.getByRole("button", { name: "Run report" }).count()).toBe(0);
    await context.close();
  });

  it("starts a report from its filter form, follows the job and downloads the CSV", async () => {
    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/reports");
    await page.getByRole("link", { name: "Demo Numbers" }).click();
    await page.getByLabel("rows").fill("25");
    await page.getByRole("button", { name: "Run report" }).click();
    const job = page.getByTestId("report-job");
    await expect.poll(() => job.getAttribute("data-status"), { timeout: 120_000 }).toBe("Completed");
    await job.locator("p", { hasText: "25 rows" }).waitFor();
    await screenshot(page, "report");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      job.getByRole("link", { name: "CSV" }).click(),
    ]);
    const path = await download.path();
    const lines = readFileSync(path, "utf8").trim().split(/\r?\n/);
    expect(lines[0]).toBe("Row,Label,Quantity,Ratio,Amount,Posting Date,Active");
    expect(lines).toHaveLength(26);
    expect(lines[25]).toMatch(/^25,Item 0000025,/);
    expect(problems).toEqual([]);
    await context.close();
  });
});
