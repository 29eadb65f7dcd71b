// Configuration is checked: an invalid var is a clear error from the first request; the benchmark's
// counters exist only where METRICS is "on".
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { ConfigError, config } from "../src/shared/config";
import { ADMIN } from "./helpers";

async function fetchWith(vars: Record<string, string>, path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://switchyard.test${path}`, { headers: { authorization: `token ${ADMIN}` } }),
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe("configuration", () => {
  it("an invalid var is a 500 at the first request that names the var and the value, not a silent default", async () => {
    const res = await fetchWith({ QUEUED_LEASE_S: "2m" }, "/api/v1/health");
    expect(res.status).toBe(500);
    const body: any = await res.json();
    expect(body.error.code).toBe("invalid_configuration");
    expect(body.error.message).toContain("QUEUED_LEASE_S");
    expect(body.error.message).toContain('"2m"');
  });

  it("names every invalid var, and rejects values below their minimum and unknown switches", () => {
    expect(() => config({ ...env, QUEUED_LEASE_S: "0", DEMO_METHODS: "yes", MAX_TICKETS_PER_KEY: "-3" })).toThrow(
      ConfigError,
    );
    try {
      config({ ...env, QUEUED_LEASE_S: "0", DEMO_METHODS: "yes", MAX_TICKETS_PER_KEY: "-3" });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("QUEUED_LEASE_S must be at least 1");
      expect(message).toContain("DEMO_METHODS");
      expect(message).toContain("MAX_TICKETS_PER_KEY");
    }
    expect(config({ ...env, QUEUED_LEASE_S: "" }).queuedLeaseMs).toBe(120_000);
  });

  it("GET /api/v1/ops/metrics exists only where METRICS is on", async () => {
    expect((await fetchWith({}, "/api/v1/ops/metrics")).status).toBe(404);
    const on = await fetchWith({ METRICS: "on" }, "/api/v1/ops/metrics");
    expect(on.status).toBe(200);
    const body: any = await on.json();
    expect(body.worker.d1Statements).toBeTypeOf("number");
  });
});
