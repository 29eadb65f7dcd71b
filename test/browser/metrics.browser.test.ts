// The Overview's counters in Chromium: the same figures GET /api/v1/metrics gives a scrape, per method.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, launch, newPage, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

/** A method's counters as the API's JSON says now. */
async function countersOf(method: string): Promise<{ finished: number; failed_final: number } | undefined> {
  const res = await api<{ methods: { method: string; finished: number; failed_final: number }[] }>(
    "GET",
    "/api/v1/metrics?format=json",
  );
  return res.body.methods.find((m) => m.method === method);
}

describe("overview counters", () => {
  it("shows each method's finished and failed-for-good counts from the metrics", async () => {
    const names: string[] = [];
    for (let i = 0; i < 2; i++) names.push((await api("POST", "/api/v1/tasks", { method: "demo.noop" })).body.name);
    names.push((await api("POST", "/api/v1/tasks", { method: "demo.fail", permanent: true })).body.name);
    await expect
      .poll(async () => {
        const tasks = await Promise.all(names.map(async (n) => (await api("GET", `/api/v1/tasks/${n}`)).body.status));
        return tasks.every((s) => s === "Finished" || s === "Failed");
      })
      .toBe(true);
    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/overview");
    const row = page.getByTestId("method-counters").locator('tr[data-counters-method="demo.noop"]');
    await row.waitFor();
    // The page re-reads every 10 s; whatever it shows must be what the API says (the test's tasks included).
    await expect
      .poll(async () => {
        const shown = Number(((await row.locator('[data-counter="finished"]').textContent()) ?? "").replace(/\D/g, ""));
        const api = await countersOf("demo.noop");
        return api !== undefined && api.finished >= 2 && shown === api.finished;
      })
      .toBe(true);
    const failRow = page.getByTestId("method-counters").locator('tr[data-counters-method="demo.fail"]');
    const failedShown = Number(
      ((await failRow.locator('[data-counter="failed_final"]').textContent()) ?? "").replace(/\D/g, ""),
    );
    expect(failedShown).toBeGreaterThanOrEqual(1);
    expect(failedShown).toBe((await countersOf("demo.fail"))?.failed_final);
    expect(problems).toEqual([]);
    await context.close();
  });
});
