// The admission rule as outcomes and enqueue read it: "would a pass of THIS method admit something
// now?" — never another method's work, never past the limit or the dispatcher switch.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client";
import { finishTask } from "../src/transitions/outcome";
import { insertTaskRow, scenarios } from "./fixtures";
import { setDispatcher, setTaskType } from "./helpers";

const none = { debugLog: null, progress: null };

async function finishStarted(method: string) {
  const task = await scenarios.startedOnVanishedWorker({ method, leaseUntil: Date.now() + 60_000 });
  const row = await finishTask(getDb(env), task, null, none, Date.now());
  expect(row?.status).toBe("Finished");
  return row?.admitsNow;
}

describe("admitsNow", () => {
  it("is false when only another method has work waiting", async () => {
    await insertTaskRow({ method: "demo.sleep" });
    expect(await finishStarted("demo.noop")).toBe(0);
  });

  it("is true when the method's own work waits and a slot is free, false while the dispatcher is off", async () => {
    await insertTaskRow({ method: "demo.mark", arguments: "{}" });
    expect(await finishStarted("demo.mark")).toBe(1);
    await setDispatcher(false);
    try {
      expect(await finishStarted("demo.mark")).toBe(0);
    } finally {
      await setDispatcher(true);
    }
  });

  it("is false when the method's limit is still full after the outcome", async () => {
    await setTaskType("demo.fail", { concurrency_limit: 1 });
    await insertTaskRow({ method: "demo.fail", arguments: "{}" });
    // Two were running (a lowered limit): one finishing leaves the one slot still taken.
    await scenarios.startedOnVanishedWorker({ method: "demo.fail", leaseUntil: Date.now() + 60_000 });
    expect(await finishStarted("demo.fail")).toBe(0);
    await setTaskType("demo.fail", { concurrency_limit: 0 });
  });
});
