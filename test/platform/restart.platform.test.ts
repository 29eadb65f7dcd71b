// A crash of the whole platform mid-run (SIGKILL of `npm start`, workerd and all) loses nothing and
// doubles nothing: after a restart on the same local state, every task ends exactly once — those
// that were running when it died run again only as a new attempt, after their lease.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startPlatform, type Platform } from "../browser/platform";
import { api, waitForAll } from "./support";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const state = mkdtempSync(join(tmpdir(), "switchyard-restart-"));
let platform: Platform | undefined;

afterAll(async () => {
  await platform?.stop();
  rmSync(state, { recursive: true, force: true });
});

describe("kill and restart", () => {
  it("every task ends exactly once after the platform is killed mid-run and started again", async () => {
    platform = await startPlatform(root, 240_000, state);
    expect((await api(platform, "/api/v1/task-types/demo.mark", { concurrency_limit: 4 }, "PUT")).status).toBe(200);
    const names: string[] = [];
    // Short timeouts: an attempt the crash interrupts is presumed lost after timeout + grace.
    for (let i = 0; i < 40; i++) {
      const res = await api(platform, "/api/v1/tasks", {
        method: "demo.mark",
        arguments: { ms: 250 },
        timeout: 5,
        max_retries: 2,
      });
      expect(res.status).toBe(201);
      names.push(res.body.name as string);
    }
    const delayed = await api(platform, "/api/v1/tasks", {
      method: "demo.mark",
      arguments: {},
      run_at: new Date(Date.now() + 20_000).toISOString(),
    });
    names.push(delayed.body.name as string);
    // Some have finished, some run, the rest wait: then the machine dies.
    await expect
      .poll(async () => {
        const statuses = await Promise.all(
          names.slice(0, 40).map(async (n) => (await api(platform as Platform, `/api/v1/tasks/${n}`)).body.status),
        );
        return statuses.filter((s) => s === "Finished").length;
      })
      .toBeGreaterThanOrEqual(8);
    await platform.kill();

    platform = await startPlatform(root, 240_000, state);
    const tasks = await waitForAll(platform, names, ["Finished"]);
    for (const task of tasks) {
      const marks = (await api(platform, `/api/v1/demo/marks/${task.name}`)).body.runs;
      // One run per attempt that was recorded; an attempt lost with the crash is run again as a
      // new attempt (at-least-once for work the crash interrupted), never twice as the same one.
      expect(marks, task.name).toBeLessThanOrEqual(task.attempt);
      expect(marks, task.name).toBeGreaterThanOrEqual(1);
    }
    const reruns = tasks.filter((t) => t.attempt > 1).length;
    expect(reruns, "only attempts the crash interrupted run again").toBeLessThanOrEqual(4);
  });
});
