// Live pages in Chromium: "why is it waiting" follows every change that could move it (another task
// of the method, the dispatcher switch) and its countdown ticks; without realtime (tickets refused,
// WebSockets stripped) a page says so, keeps itself current by polling and goes live again when the
// socket is back — the Live dot means a connected socket and nothing else; a suspended dispatcher is
// announced on the task pages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { api, createKey, launch, newPage, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const tag = () => Math.random().toString(36).slice(2, 8);
const later = (ms = 3_600_000) => new Date(Date.now() + ms).toISOString();

async function enqueue(spec: Record<string, unknown>, key?: string): Promise<{ name: string }> {
  const res = await api<{ name: string }>("POST", "/api/v1/tasks", spec, key);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const statusOf = async (name: string) => (await api<{ status: string }>("GET", `/api/v1/tasks/${name}`)).body.status;
const pill = (page: Page) => page.locator(".detail-head .pill");
const reason = (page: Page) => page.getByTestId("waiting").locator("strong");

async function setDispatcher(enabled: boolean) {
  expect((await api("PUT", "/api/v1/dispatcher", { enabled })).status).toBe(200);
}

describe("why is it waiting", () => {
  it("is asked again when another task of the method or the dispatcher changes, not only this task", async () => {
    const method = "demo.count";
    expect((await api("PUT", `/api/v1/task-types/${method}`, { concurrency_limit: 1 })).status).toBe(200);
    const job = `ahead-${tag()}`;
    const made: string[] = [];
    const { page, context, problems } = await newPage(browser);
    try {
      // A holds the only slot; B waits first in line; C waits behind B.
      const a = await enqueue({ method, job_name: `${job}-a`, arguments: { n: 600, step_ms: 500 } });
      made.push(a.name);
      await expect.poll(() => statusOf(a.name), { timeout: 60_000 }).toBe("Started");
      const b = await enqueue({ method, job_name: `${job}-b`, arguments: { n: 1, step_ms: 1 } });
      const c = await enqueue({ method, job_name: `${job}-c`, arguments: { n: 1, step_ms: 1 } });
      made.push(b.name, c.name);

      await signIn(page, undefined, `/ui/#/tasks/${c.name}`);
      await expect.poll(() => reason(page).textContent()).toBe("Queued behind other tasks");
      expect(await page.getByTestId("waiting-ahead").textContent()).toBe("1 ahead");

      // The task ahead is canceled: C's own status does not change, but its answer does.
      expect((await api("POST", `/api/v1/tasks/${b.name}/cancel`, {})).status).toBe(200);
      await expect.poll(() => reason(page).textContent()).toBe("Concurrency limit full");
      expect(await page.getByTestId("waiting-ahead").count()).toBe(0);
      expect(await pill(page).textContent()).toBe("Pending");

      // The dispatcher switch moves the answer too, and the page says why nothing starts.
      await setDispatcher(false);
      await expect.poll(() => reason(page).textContent()).toBe("Dispatcher suspended");
      await page.getByTestId("dispatcher-suspended").waitFor();
      await setDispatcher(true);
      await expect.poll(() => reason(page).textContent()).toBe("Concurrency limit full");
      await expect.poll(() => page.getByTestId("dispatcher-suspended").count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await setDispatcher(true);
      for (const name of made) await api("POST", `/api/v1/tasks/${name}/cancel`, {});
      await api("PUT", `/api/v1/task-types/${method}`, { concurrency_limit: 0 });
      await context.close();
    }
  });

  it("counts down to a delayed start, second by second", async () => {
    const { page, context } = await newPage(browser);
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 }, run_at: later(10 * 60_000) });
    await signIn(page, undefined, `/ui/#/tasks/${task.name}`);
    const until = page.getByTestId("waiting-until");
    await expect.poll(() => until.textContent()).toMatch(/\(in \d+ min \d+ s\)/);
    const first = await until.textContent();
    // Without a tick the text never changes: the page is not re-read, only the clock moves.
    await expect.poll(() => until.textContent()).not.toBe(first);
    expect(await until.textContent()).toMatch(/\(in \d+ min \d+ s\)/);
    await api("POST", `/api/v1/tasks/${task.name}/cancel`, {});
    await context.close();
  });
});

describe("without realtime", () => {
  it("a task page whose tickets are refused says so, polls, and goes live once the socket is back", async () => {
    const { page, context } = await newPage(browser);
    const refuse = "**/api/v1/realtime/tickets";
    await page.route(refuse, (route) =>
      route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "unavailable", message: "realtime is down", details: null } }),
      }),
    );
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 1 }, run_at: later() });
    await signIn(page, undefined, `/ui/#/tasks/${task.name}`);
    await page.getByTestId("live-offline").waitFor();
    expect(await page.getByTestId("live-dot").count()).toBe(0);

    // Changes still arrive — by polling.
    expect((await api("POST", `/api/v1/tasks/${task.name}/pause`, {})).status).toBe(200);
    await expect.poll(() => pill(page).textContent()).toBe("Paused");

    // Tickets again: the watch reconnects by itself and the page is live.
    await page.unroute(refuse);
    await page.getByTestId("live-dot").waitFor();
    expect(await page.getByTestId("live-offline").count()).toBe(0);
    expect((await api("POST", `/api/v1/tasks/${task.name}/cancel`, {})).status).toBe(200);
    await expect.poll(() => pill(page).textContent()).toBe("Canceled");
    // An ended task is not watched: no dot.
    await expect.poll(() => page.getByTestId("live-dot").count()).toBe(0);
    await context.close();
  });

  it("a page behind a proxy that strips WebSockets never shows Live, and still sees the task end", async () => {
    const { page, context } = await newPage(browser);
    await page.routeWebSocket(/\/api\/v1\/realtime/, (ws) => ws.close({ code: 4001, reason: "stripped" }));
    const job = `stripped-${tag()}`;
    const task = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() });
    let dotSeen = false;
    await signIn(page, undefined, `/ui/#/tasks?job_name=${job}`);
    const row = page.locator(`tr[data-name="${task.name}"]`);
    await expect.poll(() => row.getAttribute("data-status")).toBe("Pending");
    await page.getByTestId("live-offline").waitFor();

    expect((await api("POST", `/api/v1/tasks/${task.name}/cancel`, {})).status).toBe(200);
    await expect
      .poll(async () => {
        dotSeen ||= (await page.getByTestId("live-dot").count()) > 0;
        return row.getAttribute("data-status");
      })
      .toBe("Canceled");
    expect(dotSeen).toBe(false);

    // The task page too: no dot, the offline notice, and the final status by polling.
    const other = await enqueue({ method: "demo.sleep", job_name: job, arguments: { ms: 1 }, run_at: later() });
    await page.goto(`${page.url().split("#")[0]}#/tasks/${other.name}`);
    await page.getByTestId("live-offline").waitFor();
    expect((await api("POST", `/api/v1/tasks/${other.name}/cancel`, {})).status).toBe(200);
    await expect.poll(() => pill(page).textContent()).toBe("Canceled");
    expect(await page.getByTestId("live-dot").count()).toBe(0);
    await context.close();
  });
});

describe("a suspended dispatcher", () => {
  it("is announced on the Tasks page, to a Task User too, and the banner goes when it resumes", async () => {
    const user = await createKey(`banner-${tag()}`, ["Task User"]);
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, user, "/ui/#/tasks");
      await page.getByRole("heading", { name: "Tasks" }).waitFor();
      expect(await page.getByTestId("dispatcher-suspended").count()).toBe(0);
      await setDispatcher(false);
      const banner = page.getByTestId("dispatcher-suspended");
      await banner.waitFor();
      expect(await banner.textContent()).toMatch(/suspended.*A System Manager can resume it/);
      await setDispatcher(true);
      await expect.poll(() => banner.count()).toBe(0);
    } finally {
      await setDispatcher(true);
      await context.close();
    }
  });
});
