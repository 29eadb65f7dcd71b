import { describe, expect, it } from "vitest";
import { call, enqueue, waitForStatus } from "./helpers";

describe("smoke", () => {
  it("a sleep task runs to Finished", async () => {
    const task = await enqueue({ method: "demo.sleep", arguments: { ms: 10 } });
    expect(task.status).toBe("Pending");
    const done = await waitForStatus(task.name, "Finished");
    expect(done.result).toEqual({ slept_ms: 10 });
    expect(done.attempt).toBe(1);
  });

  it("GET / answers without auth", async () => {
    const res = await call("/", { key: null });
    expect(res.status).toBe(200);
  });
});
