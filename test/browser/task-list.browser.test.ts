// The task list's tools in Chromium: per-status counts as tabs, "apply to filter" that says how many
// tasks it will touch before asking, an arguments filter that accepts == and refuses what it cannot
// read, one chip per path, a table whose every column is in sight at 1280 and 390 px, "Run again" for
// an ended task, whole-second durations, and no pointless "Try again" on a task that is not yours.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const tag = () => Math.random().toString(36).slice(2, 8);
const later = () => new Date(Date.now() + 3_600_000).toISOString();

async function enqueue(spec: Record<string, unknown>, key?: string): Promise<{ name: string }> {
  const res = await api<{ name: string }>("POST", "/api/v1/tasks", spec, key);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function finished(spec: Record<string, unknown>): Promise<{ name: string }> {
  const task = await enqueue(spec);
  await expect
    .poll(async () => (await api(`GET`, `/api/v1/tasks/${task.name}`)).body.status, { timeout: 60_000 })
    .toBe("Finished");
  return task;
}

/** Three waiting tasks (one paused) and a finished one, sharing a job name. */
async function mixedJob(): Promise<{ job: string; pending: string[]; done: string }> {
  const job = `mixed-${tag()}`;
  const pending = [];
  for (let i = 0; i < 3; i++) {
    pending.push((await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() })).name);
  }
  expect((await api("POST", `/api/v1/tasks/${pending[0]}/pause`, {})).status).toBe(200);
  const done = (await finished({ method: "demo.sleep", job_name: job, arguments: { ms: 1 } })).name;
  return { job, pending, done };
}

const tab = (page: Page, status: string) => page.getByTestId("status-tabs").locator(`[data-status="${status}"]`);

describe("status counts", () => {
  it("show how many tasks the filter matches in each status, follow changes, and filter on a click", async () => {
    const { job, pending } = await mixedJob();
    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await expect.poll(() => tab(page, "all").textContent()).toBe("All 4");
    expect(await tab(page, "Pending").textContent()).toBe("Pending 2");
    expect(await tab(page, "Paused").textContent()).toBe("Paused 1");
    expect(await tab(page, "Finished").textContent()).toBe("Finished 1");
    expect(await tab(page, "Canceled").textContent()).toBe("Canceled 0");

    // A change made elsewhere moves the counts (the list's own events re-count them).
    expect((await api("POST", `/api/v1/tasks/${pending[1]}/cancel`, {})).status).toBe(200);
    await expect.poll(() => tab(page, "Canceled").textContent()).toBe("Canceled 1");
    expect(await tab(page, "Pending").textContent()).toBe("Pending 1");

    await tab(page, "Paused").click();
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    expect(page.url()).toContain("status=Paused");
    expect(await tab(page, "Paused").getAttribute("aria-current")).toBe("page");
    // The other tabs keep counting under the other filters.
    expect(await tab(page, "all").textContent()).toBe("All 4");
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe("apply to filter", () => {
  it("says how many tasks the action will touch, and how many it skips, before asking", async () => {
    const { job } = await mixedJob();
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(4);
    await page.getByRole("combobox", { name: "Everything matching" }).selectOption("pause");
    await page.getByRole("button", { name: "Apply to filter…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(
      "This filter matches 4 tasks. Pause applies to 2 of them (Pending 2); the other 2 will be skipped.",
    );
    await dialog.getByRole("button", { name: "Go back" }).click();

    await page.getByRole("combobox", { name: "Everything matching" }).selectOption("resume");
    await page.getByRole("button", { name: "Apply to filter…" }).click();
    expect(await dialog.textContent()).toContain(
      "Resume applies to 1 of them (Paused 1); the other 3 will be skipped.",
    );
    await dialog.getByRole("button", { name: "Resume" }).click();
    await expect
      .poll(async () => (await page.getByTestId("bulk-summary").textContent()) ?? "")
      .toMatch(/Resume on everything matching the filter: 1 done, 0 skipped/);
    await context.close();
  });
});

describe("arguments filter", () => {
  it("accepts ==, replaces the chip of a path already filtered, and refuses other operators with a reason", async () => {
    const job = `args-${tag()}`;
    const x = await enqueue({ method: "demo.echo", job_name: job, arguments: { customer: "X" }, run_at: later() });
    const y = await enqueue({ method: "demo.echo", job_name: job, arguments: { customer: "Y" }, run_at: later() });
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(2);
    const input = page.getByLabel("Arguments match");
    const chips = page.getByRole("list", { name: "Argument conditions" }).locator("li");

    await input.fill('customer == "X"');
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await expect.poll(() => chips.allTextContents()).toEqual(['customer="X"×']);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    expect(await page.locator("tbody tr").getAttribute("data-name")).toBe(x.name);

    // Same path again: its chip is replaced, not ANDed into a filter that matches nothing.
    await input.fill('customer = "Y"');
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await expect.poll(() => chips.allTextContents()).toEqual(['customer="Y"×']);
    await expect.poll(() => page.locator("tbody tr").first().getAttribute("data-name")).toBe(y.name);

    const before = page.url();
    await input.fill('customer != "Y"');
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "only equality is supported" }).waitFor();
    expect(page.url()).toBe(before);
    expect(await input.getAttribute("aria-invalid")).toBe("true");
    await context.close();
  });
});

describe("the table", () => {
  it("keeps every column in sight at 1280 px and, as cards, at 390 px", async () => {
    const job = `wide-${tag()}-${"long-job-name-".repeat(6)}`;
    await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() });
    for (const size of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      const { page, context } = await newPage(browser, size);
      await signIn(page, undefined, `/ui/#/tasks?job_name=${encodeURIComponent(job)}`);
      const row = page.locator("tbody tr").first();
      await row.waitFor();
      const wrap = page.locator(".table-wrap").first();
      const scroll = await wrap.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      expect(scroll.scroll, `${size.width}px: the table scrolls sideways`).toBeLessThanOrEqual(scroll.client);
      const box = await wrap.boundingBox();
      for (const label of ["Job", "Method", "Status", "Owner", "Created", "Duration"]) {
        const cell = row.locator(`td[data-label="${label}"]`);
        expect(await cell.isVisible(), `${size.width}px: ${label}`).toBe(true);
        const b = await cell.boundingBox();
        expect(b && box && b.x + b.width <= box.x + box.width + 1, `${size.width}px: ${label} out of sight`).toBe(true);
        // Short values are read whole (only a long job name may end in an ellipsis).
        if (label !== "Job") {
          const clipped = await cell.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
          expect(clipped, `${size.width}px: ${label} is cut`).toBe(false);
        }
      }
      if (size.width === 390) await screenshot(page, "tasks-phone");
      await context.close();
    }
  });

  it("shows durations in whole units, never fractions of a second", async () => {
    const job = `duration-${tag()}`;
    const task = await finished({ method: "demo.sleep", job_name: job, arguments: { ms: 1300 } });
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    const cell = page.locator(`tr[data-name="${task.name}"] td[data-label="Duration"]`);
    await expect.poll(() => cell.textContent()).toMatch(/^\d+ (ms|s)$/);
    expect(await cell.textContent()).toBe("1 s");
    await context.close();
  });
});

describe("run again", () => {
  it("enqueues a new task with the same arguments from an ended one, linked both ways", async () => {
    const job = `again-${tag()}`;
    const first = await finished({ method: "demo.echo", job_name: job, arguments: { order: 42 } });
    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks/${first.name}`);
    await page.getByRole("button", { name: "Run again…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Run again" }).click();
    const rerunOf = page.getByTestId("rerun-of");
    await rerunOf.waitFor();
    expect(await rerunOf.textContent()).toBe(first.name);
    const again = /#\/tasks\/(\w+)/.exec(page.url())?.[1] ?? "";
    expect(again).not.toBe(first.name);
    expect((await api("GET", `/api/v1/tasks/${again}`)).body).toMatchObject({
      rerun_of: first.name,
      method: "demo.echo",
      job_name: job,
      arguments: { order: 42 },
    });
    await rerunOf.getByRole("link").click();
    await expect.poll(() => page.getByTestId("reruns").textContent()).toBe(again);
    expect(problems).toEqual([]);
    await context.close();
  });
});

describe("errors", () => {
  it("another user's task is not found, without a Try again that could only fail again", async () => {
    const theirs = await enqueue({ method: "demo.echo", arguments: {}, run_at: later() });
    const key = await createKey(`nosy-${tag()}`, ["Task User"]);
    const { page, context } = await newPage(browser);
    await signIn(page, key, `/ui/#/tasks/${theirs.name}`);
    await page
      .getByRole("alert")
      .filter({ hasText: /not found/i })
      .waitFor();
    expect(await page.getByRole("button", { name: "Try again" }).count()).toBe(0);
    await context.close();
  });
});
