// Flow control in the console (Chromium, real stack): a System Manager edits a method's flow control
// on the Methods page — a bad field is refused with the API's message naming it and nothing changes,
// a good one is saved and its per-key usage shows — and a waiting task's page names the cause
// ("2 of 2 running for customer = …"). The Overview shows the throttled and rate-limited counts, and
// a sharded method shows each shard's running tasks and slots.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, launch, newPage, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const METHOD = "demo.customer";
const tag = () => Math.random().toString(36).slice(2, 8);

describe("flow control in the console", () => {
  it("the Methods page edits the settings, refuses a bad field by name and shows per-key usage", async () => {
    const customer = `ACME-${tag()}`;
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api("POST", "/api/v1/tasks", { method: METHOD, arguments: { customer, ms: 600_000 } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      names.push(res.body.name);
    }
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/methods");
    const row = page.locator(`tr[data-method="${METHOD}"]`);
    await row.waitFor();
    // The code's settings, in a line.
    expect(await row.getByTestId("flow").locator("span").first().textContent()).toBe("fair by owner · 2 per customer");
    await row.getByText("Flow control", { exact: true }).click();
    // Per-key usage, read inside the method's object.
    await row.getByTestId("flow-key").filter({ hasText: customer }).waitFor();
    expect(await row.getByTestId("flow-key").filter({ hasText: customer }).textContent()).toBe(
      `2 of 2 running for customer = ${customer}`,
    );
    const editor = row.getByLabel(`Flow control settings of ${METHOD}`);
    await editor.fill(JSON.stringify({ throttle: { limit: 5, period: "0s" } }));
    await row.getByRole("button", { name: "Save flow control" }).click();
    const alert = row.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("flow_control.throttle.period");
    expect((await api("GET", `/api/v1/task-types/${METHOD}`)).body?.flow_control ?? null).toBeNull();

    await editor.fill(JSON.stringify({ concurrency: [{ key: "arguments.customer", limit: 3 }] }));
    await row.getByRole("button", { name: "Save flow control" }).click();
    await row.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect((await api("GET", `/api/v1/task-types/${METHOD}`)).body.flow_control).toEqual({
      concurrency: [{ key: "arguments.customer", limit: 3 }],
    });
    await row.getByText("fair by owner · 3 per customer").waitFor();
    await row.getByRole("button", { name: "Use the code's settings" }).click();
    await row.getByText("fair by owner · 2 per customer").waitFor();
    await context.close();
    for (const name of names) await api("POST", `/api/v1/tasks/${name}/cancel`, {});
  });

  it("a waiting task names its cause, and the Overview counts throttled and rate-limited tasks", async () => {
    const customer = `BETA-${tag()}`;
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api("POST", "/api/v1/tasks", { method: METHOD, arguments: { customer, ms: 600_000 } });
      names.push(res.body.name);
    }
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/tasks/${names[2]}`);
    const waiting = page.getByTestId("waiting");
    await waiting.filter({ hasText: "Per-key limit full" }).waitFor();
    expect(await waiting.textContent()).toContain(`2 of 2 running for customer = ${customer}`);
    for (const name of names) await api("POST", `/api/v1/tasks/${name}/cancel`, {});

    // Rate-limit one of two, throttle the other behind a running one.
    const limited = await api("PUT", `/api/v1/task-types/${METHOD}`, {
      flow_control: { rateLimit: { limit: 1, period: "1h" }, throttle: { limit: 1, period: "1h" } },
    });
    expect(limited.status, JSON.stringify(limited.body)).toBe(200);
    const first = await api("POST", "/api/v1/tasks", { method: METHOD, arguments: { customer: "r1" } });
    const second = await api("POST", "/api/v1/tasks", { method: METHOD, arguments: { customer: "r2" } });
    expect(second.body.flow_outcome).toBe("rate_limited");
    await api("PUT", `/api/v1/task-types/${METHOD}`, {
      flow_control: { rateLimit: { limit: 100, period: "1h" }, throttle: { limit: 1, period: "1h" } },
    });
    const held = await api("POST", "/api/v1/tasks", { method: METHOD, arguments: { customer: "r3" } });
    await page.goto(page.url().replace(/#.*$/, "#/"));
    const overview = page.locator(`tr[data-method="${METHOD}"]`);
    await overview.waitFor();
    await overview
      .getByTestId("rate-limited")
      .filter({ hasText: /^[1-9]/ })
      .waitFor();
    await overview
      .getByTestId("throttled")
      .filter({ hasText: /^[1-9]/ })
      .waitFor();
    await context.close();
    for (const t of [first, held]) await api("POST", `/api/v1/tasks/${t.body.name}/cancel`, {});
    await api("PUT", `/api/v1/task-types/${METHOD}`, { flow_control: null });
  });

  it("a method over two shards shows each shard's running tasks and slots, within the method's limit", async () => {
    const saved = await api("PUT", `/api/v1/task-types/${METHOD}`, {
      concurrency_limit: 4,
      flow_control: { shards: 2 },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await api("POST", "/api/v1/tasks", {
        method: METHOD,
        arguments: { customer: `S${i}-${tag()}`, ms: 600_000 },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      names.push(res.body.name);
    }
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/methods");
    const row = page.locator(`tr[data-method="${METHOD}"]`);
    await row.getByText("fair by owner · over 2 shards").waitFor();
    await row.getByText("Flow control", { exact: true }).click();
    const shards = row.getByTestId("flow-shard");
    await row.getByTestId("flow-usage").filter({ hasText: "4 running of 4" }).waitFor();
    expect(await shards.count()).toBe(2);
    const lines = await shards.allTextContents();
    const running = lines.map((l) => Number(/: (\d+) running/.exec(l)?.[1]));
    const slots = lines.map((l) => Number(/on (\d+) slots?/.exec(l)?.[1] ?? 0));
    expect(running.reduce((a, b) => a + b, 0)).toBe(4);
    expect(slots.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
    running.forEach((n, i) => expect(n).toBeLessThanOrEqual(slots[i] as number));
    await context.close();
    for (const name of names) await api("POST", `/api/v1/tasks/${name}/cancel`, {});
    await api("PUT", `/api/v1/task-types/${METHOD}`, { concurrency_limit: 0, flow_control: null });
  });
});
