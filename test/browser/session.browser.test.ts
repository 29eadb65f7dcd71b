// Sign-in, logout, sessions that end (tampered cookie, revoked key) and the API docs page — in Chromium.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { adminKey, baseUrl, createKey, launch, newPage, screenshot, signIn } from "./browser";

/** A session cookie for the admin key, signed with the platform's SESSION_SECRET, expired a second ago. */
function expiredSession(): string {
  const vars = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../.dev.vars"), "utf8");
  const secret = /^SESSION_SECRET="?([^"\n]+)"?$/m.exec(vars)?.[1] ?? "";
  const [keyId, keySecret = ""] = adminKey().split(":");
  const hash = createHash("sha256").update(keySecret).digest("hex");
  const body = Buffer.from(
    JSON.stringify({ k: keyId, e: Date.now() - 1000, n: "test", h: hash.slice(0, 16) }),
  ).toString("base64url");
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

let browser: Browser;
let close: () => Promise<void>;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

describe("console sign-in", () => {
  it("signs in with an API key, keeps it out of storage and URLs, and logs out", async () => {
    const { page, context, problems } = await newPage(browser);
    await page.goto(`${baseUrl()}/ui`);
    await page.getByLabel("API key").waitFor();
    await screenshot(page, "sign-in");
    await page.getByLabel("API key").fill("nope:wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/invalid or revoked/);
    // Said once, as the form's error (not again as a "session ended" notice above it).
    expect(await page.getByText(/invalid or revoked/).count()).toBe(1);
    // Not a key at all: the page says so itself, in words, instead of the API's validation text.
    await page.getByLabel("API key").fill("   ");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toBe("That is not an API key: paste it as key:secret.");

    await signIn(page);
    await expect.poll(() => page.getByTestId("whoami").textContent()).toBe("Administrator");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "switchyard_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    // The browser keeps the cookie past the session's 8 hours, so an expired session is told as such.
    expect((session?.expires ?? 0) * 1000).toBeGreaterThan(Date.now() + 9 * 3_600_000);
    expect(session?.value).not.toContain(adminKey().split(":")[1]);
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain(adminKey().split(":")[1]);
    expect(page.url()).not.toContain(adminKey().split(":")[1]);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You have signed out.").waitFor();
    expect((await context.cookies()).find((c) => c.name === "switchyard_session")).toBeUndefined();
    // Reloading stays signed out: the cookie is gone server-side too.
    await page.reload();
    await page.getByLabel("API key").waitFor();
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a tampered session goes back to sign-in with a message", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page);
    const [cookie] = (await context.cookies()).filter((c) => c.name === "switchyard_session");
    if (!cookie) throw new Error("no session cookie");
    await context.addCookies([{ ...cookie, value: `${cookie.value.slice(0, -4)}AAAA` }]);
    await page.reload();
    await page.getByText("your session is not valid; sign in again").waitFor();
    await context.close();
  });

  it("an expired session goes back to sign-in with a message", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page);
    // A correctly signed cookie whose embedded expiry has passed (the browser would still send it).
    await context.addCookies([{ name: "switchyard_session", value: expiredSession(), url: baseUrl() }]);
    await page.reload();
    await page.getByText("your session has expired; sign in again").waitFor();
    await context.close();
  });

  it("a session whose cookie is gone sends an open console back to sign-in, saying why", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/tasks");
    await page.getByRole("heading", { name: "Tasks" }).waitFor();
    await context.clearCookies();
    await page.evaluate(() => {
      location.hash = "#/batches";
    });
    await page.getByText("Your session has ended; sign in again.").waitFor();
    await expect.poll(() => page.getByLabel("API key").isVisible()).toBe(true);
    await context.close();
  });

  it("revoking the key ends the session: the next request bounces to sign-in with the reason", async () => {
    const key = await createKey("bounce-user", ["Task User"]);
    const { page, context } = await newPage(browser);
    await signIn(page, key, "/ui/#/tasks");
    await page.getByRole("heading", { name: "Tasks" }).waitFor();
    const res = await fetch(`${baseUrl()}/api/v1/api-keys/${key.split(":")[0]}`, {
      method: "DELETE",
      headers: { authorization: `token ${adminKey()}` },
    });
    expect(res.status).toBe(204);
    // Any next request finds the session gone (a hash change on the page, or a reconnecting watch).
    await page.evaluate(() => {
      location.hash = "#/batches";
    });
    await page.getByText("the API key of this session was revoked; sign in again").waitFor();
    await expect.poll(() => page.getByLabel("API key").isVisible()).toBe(true);
    await context.close();
  });
});

describe("API docs", () => {
  it("renders the interactive OpenAPI page from our own assets", async () => {
    const { page, context, problems } = await newPage(browser);
    const external: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(baseUrl()) && !request.url().startsWith("data:")) external.push(request.url());
    });
    await page.goto(`${baseUrl()}/api/v1/docs`);
    await page.getByText("Switchyard", { exact: false }).first().waitFor();
    await page.locator(".opblock-summary-path", { hasText: "/api/v1/tasks" }).first().waitFor();
    await screenshot(page, "api-docs");
    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
