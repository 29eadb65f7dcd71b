// Security hardening: per-key rate limits and quotas, where ?api_key= is accepted, no timing oracle
// for the admin key, our own request ids, CORS and the headers on every response.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { snapshot } from "../src/shared/metrics";
import { expectErrorEnvelope, keyId, uid } from "./api-support";
import { ADMIN, call, createKey } from "./helpers";

const M = "/api/method/tweaks.utils.report_long_polling";

/** Calls until the first 429 (at most `max` calls); returns it and how many calls were served before it. */
async function untilLimited(path: string, key: string, max = 200) {
  for (let served = 0; served < max; served++) {
    const res = await call(path, { key });
    if (res.status === 429) return { res, served };
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(400);
  }
  throw new Error(`no 429 within ${max} requests`);
}

describe("per-key rate limits", () => {
  it("a key over its role's limit gets 429 with Retry-After and the envelope; other keys are still served", async () => {
    const reporter = await createKey(`rl-${uid()}`, ["Report User"]);
    const { res, served } = await untilLimited("/api/v1/reports", reporter);
    expect(served).toBeGreaterThan(0);
    const error = expectErrorEnvelope(res, 429, "rate_limited");
    expect(error.message).toContain(keyId(reporter));
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    // The same key on a Frappe path gets Frappe's error style.
    const frappe = await call(`${M}.check_status?job_id=x`, { key: reporter });
    expect(frappe.status).toBe(429);
    expect(frappe.body.exc_type).toBe("RateLimitExceededError");
    // Another key of the same role, and a key of a role with a higher limit, are unaffected.
    const other = await createKey(`rl-other-${uid()}`, ["Report User"]);
    expect((await call("/api/v1/reports", { key: other })).status).toBe(200);
    const taskUser = await createKey(`rl-tu-${uid()}`, ["Task User"]);
    for (let i = 0; i <= served + 1; i++) expect((await call("/api/v1/tasks", { key: taskUser })).status).toBe(200);
  });

  it("a key can hold at most 20 unused WebSocket tickets; the 21st is a 429 and another key still gets one", async () => {
    const user = await createKey(`tickets-${uid()}`, ["Task User"]);
    for (let i = 0; i < 20; i++) {
      expect((await call("/api/v1/realtime/tickets", { key: user, method: "POST" })).status).toBe(201);
    }
    const refused = await call("/api/v1/realtime/tickets", { key: user, method: "POST" });
    const error = expectErrorEnvelope(refused, 429, "rate_limited");
    expect(error.message).toMatch(/20 unused tickets/);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect((await call("/api/v1/realtime/tickets", { method: "POST" })).status).toBe(201);
  });

  it("a key can hold at most 10 long polls open at once; the 11th is a 429 at once, and a freed slot serves again", async () => {
    const user = `polls-${uid()}`;
    const reporter = await createKey(user, ["Report User"]);
    const started = await call("/api/v1/reports/Demo%20Numbers/jobs", {
      key: reporter,
      body: { filters: { rows: 100_000, pause_ms: 60_000 } },
    });
    expect(started.status).toBe(202);
    const job = started.body.job_id as string;
    const polls = Array.from({ length: 10 }, () => call(`/api/v1/report-jobs/${job}?wait=25`, { key: reporter }));
    const hub = env.REALTIME.getByName(user);
    await vi.waitUntil(
      () =>
        runInDurableObject(hub, (instance) => {
          const held = (instance as unknown as { polls: Map<string, Map<string, number>> }).polls;
          return held.get(keyId(reporter))?.size === 10;
        }),
      { timeout: 20_000, interval: 20 },
    );
    const eleventh = await call(`/api/v1/report-jobs/${job}?wait=25`, { key: reporter });
    expectErrorEnvelope(eleventh, 429, "rate_limited");
    const frappe = await call(`${M}.check_status?job_id=${job}&attempts=3&sleep=5`, { key: reporter });
    expect(frappe.status).toBe(429);
    expect(frappe.body.exc_type).toBe("RateLimitExceededError");
    // Ending the job ends the ten waits and gives their slots back.
    expect((await call(`/api/v1/report-jobs/${job}/cancel`, { key: reporter, method: "POST" })).status).toBe(200);
    for (const res of await Promise.all(polls)) expect(res.status).toBe(200);
    expect((await call(`/api/v1/report-jobs/${job}?wait=1`, { key: reporter })).status).toBe(200);
  });
});

describe("credentials in the query string", () => {
  it("?api_key= is refused on writes and ordinary reads with a 401 that says to use the Authorization header", async () => {
    const qs = `api_key=${encodeURIComponent(ADMIN)}`;
    for (const [method, path] of [
      ["POST", `/api/v1/tasks?${qs}`],
      ["GET", `/api/v1/tasks?${qs}`],
      ["POST", `/api/v1/realtime/tickets?${qs}`],
      [
        "GET",
        `/api/method/tweaks.tweaks.doctype.async_task_log.async_task_log_dispatch.toggle_dispatcher?enable=0&${qs}`,
      ],
    ] as const) {
      const res = await call(path, {
        key: null,
        method,
        ...(method === "POST" ? { body: { method: "demo.echo" } } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      const message = res.body.error?.message ?? res.body.message;
      expect(message, path).toMatch(/Authorization header/);
    }
    expect((await call("/api/v1/dispatcher")).body.enabled).toBe(true);
  });

  it("?api_key= works on the Power BI paths: report long polling and report job status and result", async () => {
    const qs = `api_key=${encodeURIComponent(ADMIN)}`;
    const start = await call(`${M}.start_job?report_name=Demo%20Numbers&rows=3&${qs}`, { key: null });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const job = start.body.message as string;
    expect((await call(`${M}.check_status?job_id=${job}&attempts=3&sleep=5&${qs}`, { key: null })).body.message).toBe(
      1,
    );
    expect((await call(`/api/v1/report-jobs/${job}?${qs}`, { key: null })).status).toBe(200);
    expect((await call(`/api/v1/report-jobs/${job}/result?format=csv&${qs}`, { key: null })).status).toBe(200);
    expect((await call(`${M}.get_result?job_id=${job}&${qs}`, { key: null })).status).toBe(200);
  });
});

describe("the admin key has no timing oracle", () => {
  it("a wrong secret for the admin key takes the same D1 lookup as one for a database key or an unknown key", async () => {
    const stored = await createKey(`oracle-${uid()}`);
    // Counted as the benchmark counts (METRICS on): every D1 statement the check runs.
    const statements = async (credential: string) => {
      const before = snapshot().d1Statements;
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("http://switchyard.test/api/v1/dispatcher", { headers: { authorization: `token ${credential}` } }),
        { ...env, METRICS: "on" },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(401);
      return snapshot().d1Statements - before;
    };
    const admin = await statements(`${keyId(ADMIN)}:wrong-secret`);
    expect(admin).toBeGreaterThanOrEqual(1);
    expect(await statements(`${keyId(stored)}:wrong-secret`)).toBe(admin);
    expect(await statements("unknown-key:wrong-secret")).toBe(admin);
  });
});

describe("request ids and headers", () => {
  it("a client-sent cf-ray is never echoed: X-Request-Id is our own id", async () => {
    const res = await call("/api/v1/tasks/nope", { headers: { "cf-ray": "attacker chosen <script>" } });
    const id = res.headers.get("x-request-id") ?? "";
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const again = await call("/api/v1/tasks/nope", { headers: { "cf-ray": "8f3a2b1c4d5e6f70-AMS" } });
    expect(again.headers.get("x-request-id")).not.toBe("8f3a2b1c4d5e6f70-AMS");
    expect(again.headers.get("x-request-id")).not.toBe(id);
  });

  it("every response carries nosniff and no-referrer: 200, 400, 401, 404 and the Frappe paths", async () => {
    const responses = [
      await call("/", { key: null }),
      await call("/api/v1/tasks", { body: { nope: true } }),
      await call("/api/v1/tasks", { key: null }),
      await call("/api/v1/no-such-route"),
      await call(`${M}.get_result?job_id=x`, { key: null }),
      await call("/api/v1/openapi.json", { key: null }),
    ];
    for (const res of responses) {
      expect(res.headers.get("x-content-type-options"), String(res.status)).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), String(res.status)).toBe("no-referrer");
    }
  });

  it("401 carries WWW-Authenticate: Basic only on the Frappe and Power BI paths", async () => {
    expect((await call("/api/v1/tasks", { key: null })).headers.get("www-authenticate")).toBeNull();
    expect((await call("/api/v1/ops", { key: "no:such" })).headers.get("www-authenticate")).toBeNull();
    expect((await call(`${M}.check_status?job_id=x`, { key: null })).headers.get("www-authenticate")).toMatch(/^Basic/);
    expect((await call("/api/v1/report-jobs/x", { key: null })).headers.get("www-authenticate")).toMatch(/^Basic/);
  });
});

describe("CORS", () => {
  /** Calls the Worker with CORS_ORIGINS set (a per-deployment var) for this request. */
  async function withOrigins(origins: string, request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, { ...env, CORS_ORIGINS: origins }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  const preflight = (origin: string) =>
    new Request("http://switchyard.test/api/v1/tasks", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });

  it("is off by default: no Access-Control headers for any origin", async () => {
    const res = await call("/api/v1/tasks", { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await withOrigins("", preflight("https://app.example"));
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("with CORS_ORIGINS, only the listed origins are allowed", async () => {
    const allowed = await withOrigins("https://app.example, https://other.example", preflight("https://app.example"));
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    const refused = await withOrigins("https://app.example", preflight("https://evil.example"));
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const get = await withOrigins(
      "https://app.example",
      new Request("http://switchyard.test/api/v1/dispatcher", {
        headers: { origin: "https://app.example", authorization: `token ${ADMIN}` },
      }),
    );
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });
});
