// Browser-test helpers: Debian's Chromium driven headless by playwright-core, API calls with a key,
// sign-in through the page, and screenshots for the README.
import { randomInt } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect, inject } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

export const baseUrl = () => inject("baseUrl");
export const adminKey = () => inject("adminKey");

/**
 * A headless Chromium; the flags keep it off the (closed) network. playwright's launch() already
 * gives every browser a fresh temporary profile (it refuses --user-data-dir for that reason).
 */
export async function launch(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/**
 * A client address of its own (IPv6 documentation range), sent as CF-Connecting-IP, which `wrangler
 * dev` passes on as Cloudflare's edge would set it. Console sign-in is limited per client address
 * (RATE_LIMIT_SIGN_IN: 30 a minute) and the suite, all from this one machine, signs in more often
 * than that; each context is a separate user's browser, as in real use.
 */
const clientAddress = () => `2001:db8::${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;

/**
 * A new page at 1280×800 (or `width`×`height`), in `timezoneId` if given (else the machine's), that
 * fails the test on page errors and CSP violations. Each page's context has its own client address.
 */
export async function newPage(
  browser: Browser,
  size = { width: 1280, height: 800 },
  timezoneId?: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: size,
    acceptDownloads: true,
    locale: "en-US",
    extraHTTPHeaders: { "CF-Connecting-IP": clientAddress() },
    ...(timezoneId === undefined ? {} : { timezoneId }),
  });
  // Waits for elements are waits for conditions: as long as the test may take, not playwright's 30 s.
  context.setDefaultTimeout(170_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/.test(message.text()))
      problems.push(message.text());
  });
  return { context, page, problems };
}

/** Calls the API with an API key (the test's "user outside the browser"). */
export async function api<T = any>(
  method: string,
  path: string,
  body?: unknown,
  key = adminKey(),
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { authorization: `token ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Creates an API key for `user`; returns "key:secret". */
export async function createKey(user: string, roles: string[]): Promise<string> {
  const res = await api<{ api_key: string }>("POST", "/api/v1/api-keys", { user, roles });
  expect(res.status).toBe(201);
  return res.body.api_key;
}

/** Signs in through the sign-in form and waits for the app frame. */
export async function signIn(page: Page, key = adminKey(), path = "/ui/"): Promise<void> {
  await page.goto(`${baseUrl()}${path}`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

/** Saves a screenshot: into docs/screenshots when SCREENSHOTS=1 (npm run screenshots), else test-results. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SCREENSHOTS === "1" ? join(ROOT, "docs/screenshots") : join(ROOT, "test-results/screenshots");
  mkdirSync(dir, { recursive: true });
  await page.waitForFunction(() => [...document.images].every((image) => image.complete));
  // Transitions end at their final state (a full bar is shown full, not caught mid-way).
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false, animations: "disabled" });
}
