// `npm start` is quiet and honest (issue 17, item 21): on a fresh local state it prints which
// migrations it applied once (wrangler alone prints its whole table after every migration), no
// stack trace about reaching Cloudflare on an offline machine, the admin key and the console's URL,
// and when it is stopped it says the platform stopped.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startPlatform, type Platform } from "../browser/platform";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
let platform: Platform | undefined;

afterAll(async () => {
  await platform?.stop();
});

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("npm start", () => {
  it("prints each applied migration once, the key and the console, no offline stack trace, and says when it stopped", async () => {
    platform = await startPlatform(root);
    const started = platform.output();
    const migrations = readdirSync(join(root, "migrations")).filter((f) => f.endsWith(".sql"));
    expect(migrations.length).toBeGreaterThan(10);
    expect(started).toContain(`${migrations.length} migration(s) applied, ${migrations.length} in all`);
    for (const name of migrations) expect(occurrences(started, name), name).toBe(1);
    expect(started).toContain(`Admin key  ${platform.adminKey}`);
    expect(started).toContain(`${platform.url}/ui/`);
    expect(started).not.toMatch(/ENOTFOUND|workers\.cloudflare\.com|at\s+\S+\s+\(node:/);

    const running = platform;
    platform = undefined;
    await running.stop();
    // The last lines may reach the pipe just after the process's exit event.
    await expect.poll(() => running.output()).toMatch(/Switchyard stopped: nothing runs on http:\/\/localhost:\d+/);
    const all = running.output();
    expect(all.indexOf("Stopping Switchyard")).toBeGreaterThan(-1);
    expect(all.indexOf("Stopping Switchyard")).toBeLessThan(all.indexOf("Switchyard stopped"));
  });
});
