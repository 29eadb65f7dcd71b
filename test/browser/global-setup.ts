// Browser suite global setup: fails loudly without Chromium, then starts the platform as `npm start`
// does (fresh state, free port) and hands its URL and admin key to the tests.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { CHROMIUM } from "./browser";
import { startPlatform, type Platform } from "./platform";

let platform: Platform | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the console's browser tests need it.\n` +
        "Install it with:  apt-get update && apt-get install -y chromium",
    );
  }
  platform = await startPlatform(join(dirname(fileURLToPath(import.meta.url)), "../.."));
  project.provide("baseUrl", platform.url);
  project.provide("adminKey", platform.adminKey);
}

export async function teardown(): Promise<void> {
  await platform?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminKey: string;
  }
}
