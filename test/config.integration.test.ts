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

/** A console sign-in POST (same origin, CSRF header) against an env with `vars`. */
async function fetchWithBody(vars: Record<string, string>, path: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`http://switchyard.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-switchyard-csrf": "1", origin: "http://switchyard.test" },
      body: JSON.stringify(body),
    }),
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

  it("KEY_CACHE_TTL_S is the stated revocation bound: 10 s by default, never more, 0 turns the cache off", () => {
    expect(config({ ...env, KEY_CACHE_TTL_S: "" }).keyCacheTtlMs).toBe(10_000);
    expect(config({ ...env, KEY_CACHE_TTL_S: "0" }).keyCacheTtlMs).toBe(0);
    expect(() => config({ ...env, KEY_CACHE_TTL_S: "11" })).toThrow(/KEY_CACHE_TTL_S must be at most 10 seconds/);
  });

  it("a too-short SESSION_SECRET is named but its value is never shown", async () => {
    const res = await fetchWith({ SESSION_SECRET: "short-secret-value" }, "/api/v1/health");
    expect(res.status).toBe(500);
    const body: any = await res.json();
    expect(body.error.message).toContain("SESSION_SECRET must be at least 32 characters");
    expect(body.error.message).not.toContain("short-secret-value");
  });

  it("without SESSION_SECRET, console sign-in is a 503 that says what to set; API keys still work", async () => {
    const res = await fetchWithBody({ SESSION_SECRET: "" }, "/api/v1/session", { api_key: ADMIN });
    expect(res.status).toBe(503);
    const body: any = await res.json();
    expect(body.error.code).toBe("sessions_unconfigured");
    expect(body.error.message).toContain("SESSION_SECRET");
    expect((await fetchWith({ SESSION_SECRET: "" }, "/api/v1/tasks")).status).toBe(200);
  });

  it("GET /api/v1/ops/metrics exists only where METRICS is on", async () => {
    expect((await fetchWith({}, "/api/v1/ops/metrics")).status).toBe(404);
    const on = await fetchWith({ METRICS: "on" }, "/api/v1/ops/metrics");
    expect(on.status).toBe(200);
    const body: any = await on.json();
    expect(body.worker.d1Statements).toBeTypeOf("number");
  });
});
