// The TypeScript client's example, run the way docs/clients.md says — build the package, run the
// example against the platform `npm start` starts — succeeds and shows a task and a batch to the end.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { adminKey, baseUrl } from "./browser";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("the client package", () => {
  it("builds, and its example enqueues and watches a task and a batch to the end", async () => {
    await run(process.execPath, ["clients/typescript/scripts/build.mjs"], { cwd: ROOT });
    const { stdout } = await run(process.execPath, ["clients/typescript/examples/enqueue-and-watch.mjs"], {
      cwd: ROOT,
      env: { ...process.env, SWITCHYARD_URL: baseUrl(), SWITCHYARD_KEY: adminKey() },
    });
    expect(stdout).toMatch(/enqueued \w+ \(demo\.count\)/);
    expect(stdout).toMatch(/Started 3\/5/);
    expect(stdout).toMatch(/^task Finished$/m);
    expect(stdout).toMatch(/^batch \S+ \(client example\): 3\/3 done, 3 finished$/m);
  });
});
