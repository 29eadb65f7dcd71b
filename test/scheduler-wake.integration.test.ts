// The method's scheduler never drops a wake-up, whatever await point of a pass it arrives at.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insertTaskRow } from "./fixtures";

/** The scheduler's private alarm step, which the test gates to hold a pass at its last await. */
interface Gateable {
  armAlarm(at: number | null): Promise<void>;
  wake(): Promise<void>;
}

async function status(name: string): Promise<string | undefined> {
  const row = await env.DB.prepare("SELECT status FROM tasks WHERE name = ?").bind(name).first<{ status: string }>();
  return row?.status;
}

describe("wake-ups", () => {
  it("a wake that arrives while a pass arms its alarm is served by another pass, without cron or alarm", async () => {
    const method = "demo.noop";
    const stub = env.SCHEDULER.getByName(method);
    await runInDurableObject(stub, async (instance) => {
      const scheduler = instance as unknown as Gateable;
      const arm = scheduler.armAlarm.bind(scheduler);
      let entered: () => void = () => {};
      const inAlarmStep = new Promise<void>((resolve) => (entered = resolve));
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      scheduler.armAlarm = async (at) => {
        if (++calls === 1) {
          entered();
          await gate;
        }
        return arm(at);
      };

      // A pass with nothing to admit, held at its alarm step.
      const first = scheduler.wake();
      await inAlarmStep;
      // Work committed now, then the wake that tells the scheduler about it.
      const task = await insertTaskRow({ method, arguments: "{}" });
      const second = scheduler.wake();
      expect(await status(task.name)).toBe("Pending");
      release();
      await Promise.all([first, second]);

      expect(calls, "the second wake ran a pass of its own").toBeGreaterThanOrEqual(2);
      expect(await status(task.name)).not.toBe("Pending");
    });
  });
});
