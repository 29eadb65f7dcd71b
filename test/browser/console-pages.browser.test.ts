// The console's other pages in Chromium: a remote method's own task type shows its target's roles;
// descriptions are read whole, with code as code; a reused report job says so and can be run fresh;
// the schedule form previews the next runs before saving; batches show their label and methods and
// offer "Requeue failed items" only where there are some; the API keys table shows when a key was
// last used when the server says; the Overview's Y axis fits its widest label.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const tag = () => Math.random().toString(36).slice(2, 8);

describe("methods", () => {
  it("a remote method with its own limit shows the roles of its target's pattern, to every role", async () => {
    const target = `roles-${tag()}`;
    const created = await api("PUT", `/api/v1/remote-targets/${target}`, {
      kind: "http",
      base_url: "http://localhost:9",
      allowed_methods: ["jobs.*"],
      roles: ["Task User", "Report User"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const method = `${target}:jobs.nightly`;
    expect(
      (await api("PUT", `/api/v1/task-types/${encodeURIComponent(method)}`, { concurrency_limit: 2 })).status,
    ).toBe(200);
    const user = await createKey(`methods-${tag()}`, ["Task User"]);
    for (const key of [undefined, user]) {
      const { page, context } = await newPage(browser);
      await signIn(page, key, "/ui/#/methods");
      const row = page.locator(`tr[data-method="${method}"]`);
      await row.waitFor();
      expect(await row.getByTestId("roles").textContent()).toBe("Task User, Report User");
      expect(await row.textContent()).toContain(`matches ${target}:jobs.*`);
      if (key !== undefined) expect(await row.getByTestId("limit").textContent()).toBe("2");
      await context.close();
    }
    await api("DELETE", `/api/v1/task-types/${encodeURIComponent(method)}`);
    await api("DELETE", `/api/v1/remote-targets/${target}?force=true`);
  });

  it("shows descriptions whole, with `code` as code, and a limit of 0 as unlimited", async () => {
    const { page, context } = await newPage(browser);
    const user = await createKey(`limits-${tag()}`, ["Task User"]);
    await signIn(page, user, "/ui/#/methods");
    const row = page.locator('tr[data-method="demo.sleep"]');
    await row.waitFor();
    const description = row.locator(".description");
    expect(await description.textContent()).toBe("Sleeps for ms milliseconds.");
    expect(await description.locator("code").textContent()).toBe("ms");
    expect(await description.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await page.locator("main").textContent()).not.toContain("`");
    expect(await page.locator('tr[data-method="demo.noop"]').getByTestId("limit").textContent()).toBe("unlimited");
    await context.close();
  });
});

describe("reports", () => {
  it("a reused job says where it comes from, and Run fresh starts a new one", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/reports/Demo%20Numbers");
    const rows = String(50 + Math.floor(Math.random() * 5000));
    await page.getByLabel("rows").fill(rows);
    await page.getByRole("button", { name: "Run report" }).click();
    const card = page.getByTestId("report-job");
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 120_000 }).toBe("Completed");
    const firstId = (await card.locator("h2 .mono").textContent()) ?? "";
    expect(await page.getByTestId("report-reused").count()).toBe(0);

    // The same filters again: the finished job is reused, and the page says so.
    await page.getByRole("button", { name: "Run report" }).click();
    const reused = page.getByTestId("report-reused");
    await reused.waitFor();
    expect(await reused.textContent()).toMatch(/Reused: from a run .* ago with the same filters/);
    expect(await card.locator("h2 .mono").textContent()).toBe(firstId);
    await screenshot(page, "report-reused");

    await reused.getByRole("button", { name: "Run fresh" }).click();
    await expect.poll(() => card.locator("h2 .mono").textContent()).not.toBe(firstId);
    expect(await page.getByTestId("report-reused").count()).toBe(0);
    await expect.poll(() => card.getAttribute("data-status"), { timeout: 120_000 }).toBe("Completed");
    await context.close();
  });
});

describe("schedule form", () => {
  it("previews the next runs before saving, and says why a timing cannot be saved", async () => {
    const name = `preview-${tag()}`;
    const { page, context } = await newPage(browser, undefined, "America/New_York");
    await signIn(page, undefined, "/ui/#/scheduled-jobs/+new");
    const form = page.getByRole("form", { name: "New scheduled job" });
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Method").fill("demo.echo");
    await form.getByLabel("Frequency").selectOption("cron");
    await form.getByLabel("Cron (5 or 6 fields)").fill("30 9 * * 1-5");
    await form.getByLabel("Time zone").fill("Europe/Berlin");
    const preview = page.getByTestId("schedule-preview");
    const runs = page.getByTestId("preview-runs").locator("li");
    await expect.poll(() => runs.count()).toBe(10);
    for (const run of await runs.allTextContents()) {
      expect(run).toMatch(/09:30:00 \+0[12]:00 · .*\(America\/New_York\)/);
    }
    expect(await preview.textContent()).toMatch(/09:30/);
    // Nothing is saved by a preview.
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).status).toBe(404);

    await form.getByLabel("Cron (5 or 6 fields)").fill("61 * * * *");
    await expect.poll(() => preview.textContent()).toMatch(/Not yet: cron/);
    expect(await runs.count()).toBe(0);
    await form.getByLabel("Cron (5 or 6 fields)").fill("30 9 * * 1-5");
    await expect.poll(() => runs.count()).toBe(10);
    await screenshot(page, "scheduled-job-preview");
    await context.close();
  });
});

describe("batches", () => {
  it("show their label and methods, and offer Requeue failed items only where items failed", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page);
    const label = `invoices ${tag()}`;
    const labelled = await api<{ batch_id: string }>("POST", "/api/v1/tasks/bulk", {
      label,
      tasks: [
        { method: "demo.fail", arguments: { message: "no" } },
        { method: "demo.echo", arguments: {} },
        { method: "demo.echo", arguments: {} },
      ],
    });
    expect(labelled.status).toBe(201);
    await page.goto(`${page.url().split("#")[0]}#/batches`);
    await page.locator(`tr[data-batch="${labelled.body.batch_id}"]`).getByRole("link", { name: label }).waitFor();

    await page.goto(`${page.url().split("#")[0]}#/batches/${labelled.body.batch_id}`);
    await page.getByRole("heading", { name: label }).waitFor();
    expect(await page.getByTestId("batch-methods").textContent()).toBe("demo.echo (2), demo.fail (1)");
    const actions = page.getByRole("group", { name: "Batch actions" });
    await expect.poll(() => actions.getByRole("button", { name: "Retry failed" }).isEnabled()).toBe(true);
    // Failed tasks, but no failed items: nothing to requeue.
    expect(await actions.getByRole("button", { name: "Requeue failed items" }).isDisabled()).toBe(true);

    const chunked = await api<{ batch_id: string }>("POST", "/api/v1/bulk/demo.items", {
      ids: ["ok-1", "bad-1"],
      label: "items",
    });
    expect(chunked.status).toBe(201);
    await page.goto(`${page.url().split("#")[0]}#/batches/${chunked.body.batch_id}`);
    const requeue = actions.getByRole("button", { name: "Requeue failed items" });
    await expect.poll(() => requeue.isEnabled()).toBe(true);
    await requeue.click();
    await page.getByRole("status").filter({ hasText: "Requeued into 1 new batch" }).waitFor();
    await expect.poll(() => requeue.isDisabled()).toBe(true);
    await context.close();
  });
});

describe("API keys", () => {
  it("show when each key was last used, and never for a key not used yet", async () => {
    const { page, context } = await newPage(browser);
    // Every listed key has last_used_at (null: never used).
    await signIn(page, undefined, "/ui/#/api-keys");
    await page.getByRole("columnheader", { name: "Last used" }).waitFor();
    for (const text of await page.getByTestId("last-used").allTextContents()) expect(text).toMatch(/^never$|ago$/);

    // Used 5 minutes ago, and never.
    const used = new Date(Date.now() - 5 * 60_000).toISOString();
    await page.route("**/api/v1/api-keys", async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { data: Record<string, unknown>[] };
      body.data = body.data.map((k, i) => ({ ...k, last_used_at: i === 0 ? used : null }));
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await page.getByRole("columnheader", { name: "Last used" }).waitFor();
    const cells = page.getByTestId("last-used");
    await expect.poll(() => cells.count()).toBeGreaterThan(1);
    expect(await cells.first().textContent()).toMatch(/^5 min \d+ s ago$/);
    expect(await cells.nth(1).textContent()).toBe("never");
    await context.close();
  });
});

describe("overview", () => {
  it("gives the Y axis the width of its widest label, so thousands are never cut to ',000'", async () => {
    const res = await api("POST", "/api/v1/tasks/bulk", {
      label: "overview axis",
      tasks: Array.from({ length: 1000 }, () => ({ method: "demo.noop" })),
    });
    expect(res.status).toBe(201);
    await expect
      .poll(
        async () => {
          const stats = await api<{ hourly: { finished: number }[] }>("GET", "/api/v1/stats");
          return Math.max(...stats.body.hourly.map((h) => h.finished));
        },
        { interval: 1000 },
      )
      .toBeGreaterThanOrEqual(1000);
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/overview");
    const chart = page.getByRole("img", { name: "Throughput per hour (finished), last 24 h" });
    await expect.poll(() => chart.getAttribute("data-y-labels")).not.toBeNull();
    const labels = Number(await chart.getAttribute("data-y-labels"));
    const axis = Number(await chart.getAttribute("data-y-axis"));
    // "1,000" and up is wider than what the old fixed 40 px left for labels (40 − 5 gap − 10 ticks).
    expect(labels).toBeGreaterThan(25);
    expect(labels + 15).toBeLessThanOrEqual(axis);
    await context.close();
  });
});
