// Tasks in Chromium: a task enqueued through the API shows up live, its detail follows its progress to
// Finished; bulk actions by selection and by filter report what was done and what was skipped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const later = () => new Date(Date.now() + 3_600_000).toISOString();
const tag = () => Math.random().toString(36).slice(2, 8);

async function enqueue(spec: Record<string, unknown>): Promise<{ name: string }> {
  const res = await api<{ name: string }>("POST", "/api/v1/tasks", spec);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const progressOf = async (page: Page) => {
  const bar = page.getByRole("progressbar", { name: "Progress", exact: true });
  return { now: await bar.getAttribute("aria-valuenow"), max: await bar.getAttribute("aria-valuemax") };
};

describe("task list and detail", () => {
  it("a task enqueued through the API appears live, and its detail shows progress until Finished", async () => {
    const { page, context, problems } = await newPage(browser);
    const job = `live-${tag()}`;
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await page.getByText("No tasks match").waitFor();

    // An empty list cannot jump: the first task simply appears in it.
    const first = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() });
    await page.locator(`tr[data-name="${first.name}"]`).waitFor();
    expect(await page.getByRole("button", { name: /new — show/ }).count()).toBe(0);

    const task = await enqueue({ method: "demo.count", job_name: job, arguments: { n: 12, step_ms: 400 } });
    // Once rows are shown the list does not jump: the new row waits behind a banner until asked for.
    await page.getByRole("button", { name: /1 new — show/ }).click();
    const row = page.locator(`tr[data-name="${task.name}"]`);
    await row.waitFor();
    expect(await row.getByRole("link").textContent()).toBe(job);

    await row.getByRole("link", { name: job }).click();
    await page.getByRole("heading", { name: job }).waitFor();
    // Live progress: some step strictly between 0 and 12 is shown before the end, then 12/12 and Finished.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const p = await progressOf(page);
          if (p.now) seen.add(p.now);
          return (await page.locator(".detail-head .pill").textContent()) ?? "";
        },
        { timeout: 120_000, interval: 100 },
      )
      .toBe("Finished");
    expect([...seen].some((v) => Number(v) > 0 && Number(v) < 12)).toBe(true);
    expect(await progressOf(page)).toEqual({ now: "12", max: "12" });
    await page.getByText('"counted": 12').waitFor();
    await screenshot(page, "task-detail");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("updates a shown row in place when its task changes", async () => {
    const { page, context } = await newPage(browser);
    const job = `inplace-${tag()}`;
    const task = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() });
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    const row = page.locator(`tr[data-name="${task.name}"]`);
    await expect.poll(() => row.getAttribute("data-status")).toBe("Pending");
    const box = await row.boundingBox();
    expect((await api("POST", `/api/v1/tasks/${task.name}/pause`, {})).status).toBe(200);
    await expect.poll(() => row.getAttribute("data-status"), { timeout: 60_000 }).toBe("Paused");
    expect(await row.boundingBox()).toEqual(box);
    await context.close();
  });
});

describe("task list errors", () => {
  it("a filter the API refuses shows its error, not the previous filter's rows under it", async () => {
    const job = `errors-${tag()}`;
    const task = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 } });
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await page.locator(`tr[data-name="${task.name}"]`).waitFor();
    await page.evaluate((j) => (location.hash = `#/tasks?job_name=${j}&created_after=yesterday-ish`), job);
    await page
      .getByRole("alert")
      .filter({ hasText: /created_after/ })
      .waitFor();
    expect(await page.locator("tbody tr").count()).toBe(0);
    expect(await page.getByText("No tasks match").count()).toBe(0);
    // The form shows no date for the unreadable one (not "NaN-NaN-…").
    expect(await page.getByLabel("Created after").inputValue()).toBe("");
    await context.close();
  });
});

describe("why a task waits", () => {
  it("the task page shows the server's reason, and follows it when the task changes", async () => {
    const { page, context } = await newPage(browser);
    const task = await enqueue({
      method: "demo.sleep",
      job_name: `waits-${tag()}`,
      arguments: { ms: 1 },
      run_at: later(),
    });
    await signIn(page, undefined, `/ui/#/tasks/${task.name}`);
    const panel = page.getByTestId("waiting");
    await expect.poll(() => panel.locator("strong").textContent()).toBe("Delayed");
    expect(await panel.textContent()).toMatch(/until/);
    expect((await api("POST", `/api/v1/tasks/${task.name}/pause`, {})).status).toBe(200);
    await expect.poll(() => panel.locator("strong").textContent()).toBe("Paused");
    expect((await api("POST", `/api/v1/tasks/${task.name}/cancel`, {})).status).toBe(200);
    await expect.poll(() => panel.count()).toBe(0);
    await context.close();
  });
});

describe("live rows for admins", () => {
  it("another user's tasks appear and change live in an admin's list, over the every-task scope", async () => {
    const { page, context, problems } = await newPage(browser);
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    const job = `others-${tag()}`;
    const key = await createKey(`live-${tag()}`, ["Task User"]);
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await page.getByText("No tasks match").waitFor();
    await expect.poll(() => sockets.some((url) => /[?&]all=1(&|$)/.test(url))).toBe(true);

    const res = await api<{ name: string }>(
      "POST",
      "/api/v1/tasks",
      { method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() },
      key,
    );
    expect(res.status).toBe(201);
    // The list was empty, so the task simply appears in it (an empty list cannot jump).
    const row = page.locator(`tr[data-name="${res.body.name}"]`);
    await expect.poll(() => row.getAttribute("data-status")).toBe("Pending");
    expect(await row.textContent()).toContain(`live-`); // the owner column
    // The owner pauses it through the API: the admin's row follows in place.
    expect((await api("POST", `/api/v1/tasks/${res.body.name}/pause`, {}, key)).status).toBe(200);
    await expect.poll(() => row.getAttribute("data-status")).toBe("Paused");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a Task User's list subscribes to their own tasks only", async () => {
    const { page, context } = await newPage(browser);
    const sockets: string[] = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    const key = await createKey(`own-${tag()}`, ["Task User"]);
    await signIn(page, key, "/ui/#/tasks");
    await expect.poll(() => sockets.length).toBeGreaterThan(0);
    expect(sockets.every((url) => !/[?&]all=/.test(url))).toBe(true);
    await context.close();
  });
});

describe("bulk actions", () => {
  it("by selection: pauses the selected waiting tasks and reports the finished one as skipped", async () => {
    const { page, context } = await newPage(browser);
    const job = `bulksel-${tag()}`;
    const waiting = [];
    for (let i = 0; i < 2; i++)
      waiting.push(await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() }));
    const done = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 } });
    await expect
      .poll(async () => (await api(`GET`, `/api/v1/tasks/${done.name}`)).body.status, { timeout: 60_000 })
      .toBe("Finished");
    // Lists read the log, which may trail the tasks by a moment.
    await expect
      .poll(async () => (await api<{ data: unknown[] }>("GET", `/api/v1/tasks?job_name=${job}`)).body.data.length)
      .toBe(3);

    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    await page.locator(`tr[data-name="${done.name}"]`).waitFor();
    await page.getByRole("checkbox", { name: "Select all tasks on this page" }).check();
    await page
      .getByRole("toolbar", { name: "Bulk actions" })
      .getByRole("button", { name: "Pause", exact: true })
      .click();
    await page.getByRole("dialog").getByRole("button", { name: "Pause" }).click();
    const summary = page.getByTestId("bulk-summary");
    await summary.waitFor();
    expect(await summary.textContent()).toMatch(/Pause on 3 selected: 2 done, 1 skipped/);
    expect(await summary.textContent()).toContain("cannot pause a task that is Finished");
    await screenshot(page, "tasks-bulk");
    for (const t of waiting) expect((await api("GET", `/api/v1/tasks/${t.name}`)).body.status).toBe("Paused");
    await context.close();
  });

  it("by filter: cancels everything the filter matches (beyond the page) with a message", async () => {
    const { page, context } = await newPage(browser);
    const job = `bulkfilter-${tag()}`;
    const made = [];
    for (let i = 0; i < 4; i++) {
      made.push(
        await enqueue({ method: "demo.echo", job_name: job, arguments: { customer: "CUST-0042", i }, run_at: later() }),
      );
    }
    const other = await enqueue({
      method: "demo.echo",
      job_name: job,
      arguments: { customer: "CUST-0043" },
      run_at: later(),
    });
    const arg = encodeURIComponent('customer="CUST-0042"');
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}&arg=${arg}`);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(4);
    await page.getByRole("combobox", { name: "Everything matching" }).selectOption("cancel");
    await page.getByRole("button", { name: "Apply to filter…" }).click();
    const dialog = page.getByRole("dialog");
    // Typed key by key as the dialog opens: no keystroke may be lost to the dialog's reset.
    await dialog.getByLabel("Message (optional)").pressSequentially("wrong customer");
    await dialog.getByRole("button", { name: "Cancel tasks" }).click();
    await expect
      .poll(async () => (await page.getByTestId("bulk-summary").textContent()) ?? "")
      .toMatch(/Cancel on everything matching the filter: 4 done, 0 skipped/);
    for (const t of made) {
      const body = (await api("GET", `/api/v1/tasks/${t.name}`)).body;
      expect([body.status, body.status_message]).toEqual(["Canceled", "wrong customer"]);
    }
    expect((await api("GET", `/api/v1/tasks/${other.name}`)).body.status).toBe("Pending");
    await context.close();
  });
});
