// Authentication: every credential format, revocation, the open endpoints, and the ops summary.
import { beforeAll, describe, expect, it } from "vitest";
import { uid, FAR_FUTURE, expectNoTaskWritten, expectErrorEnvelope, act, keyId } from "./api-support";
import { ADMIN, call, createKey, enqueue } from "./helpers";

describe("authentication", () => {
  const user = `auth-${uid()}@example.com`;
  let credential: string;

  beforeAll(async () => {
    credential = await createKey(user);
  });

  it("a request without credentials is a 401 envelope that explains how to authenticate", async () => {
    const res = await call("/api/v1/tasks", { key: null });
    const error = expectErrorEnvelope(res, 401, "unauthorized");
    expect(error.message).toMatch(/token/);
    expect(res.headers.get("www-authenticate")).toBeNull();
  });

  it("an enqueue without credentials is a 401 and writes nothing", async () => {
    await expectNoTaskWritten(async () => {
      expectErrorEnvelope(await call("/api/v1/tasks", { key: null, body: { method: "demo.echo" } }), 401);
    });
  });

  const schemes: Array<[string, (c: string) => { path: string; headers: Record<string, string> }]> = [
    ["Authorization: token key:secret", (c) => ({ path: "/api/v1/tasks", headers: { authorization: `token ${c}` } })],
    ["Authorization: Bearer key:secret", (c) => ({ path: "/api/v1/tasks", headers: { authorization: `Bearer ${c}` } })],
    ["HTTP Basic", (c) => ({ path: "/api/v1/tasks", headers: { authorization: `Basic ${btoa(c)}` } })],
  ];

  for (const [scheme, build] of schemes) {
    it(`${scheme} authenticates as the key's user`, async () => {
      const { path, headers } = build(credential);
      const res = await call(path, { key: null, headers, body: { method: "demo.echo", run_at: FAR_FUTURE } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.owner).toBe(user);
      await act(res.body.name, "cancel");
    });
  }

  it("a wrong secret is a 401 for every scheme", async () => {
    const wrong = `${keyId(credential)}:not-the-secret`;
    for (const [scheme, build] of schemes) {
      const { path, headers } = build(wrong);
      const res = await call(path, { key: null, headers });
      expectErrorEnvelope(res, 401, "unauthorized");
      expect(res.status, scheme).toBe(401);
    }
  });

  it("an unknown key, a malformed credential and an unknown scheme are 401s", async () => {
    expectErrorEnvelope(await call("/api/v1/tasks", { key: "nosuchkey:whatever" }), 401);
    expectErrorEnvelope(await call("/api/v1/tasks", { key: "no-colon-here" }), 401);
    expectErrorEnvelope(await call("/api/v1/tasks", { key: null, headers: { authorization: `Digest ${ADMIN}` } }), 401);
  });

  it("a revoked key is a 401 afterwards (and revoking it again is a 404)", async () => {
    const doomed = await createKey(`revoked-${uid()}`);
    expect((await call("/api/v1/tasks", { key: doomed })).status).toBe(200);
    const revoke = await call(`/api/v1/api-keys/${keyId(doomed)}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    const after = await call("/api/v1/tasks", { key: doomed });
    const error = expectErrorEnvelope(after, 401, "unauthorized");
    expect(error.message).toMatch(/revoked|invalid/);
    const listed = await call("/api/v1/api-keys");
    expect(listed.body.data.find((k: any) => k.key === keyId(doomed))?.revoked_at).toBeTypeOf("string");
    expectErrorEnvelope(await call(`/api/v1/api-keys/${keyId(doomed)}`, { method: "DELETE" }), 404);
  });

  it("GET / answers 200 with the service banner and no auth", async () => {
    const res = await call("/", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.service).toBe("switchyard");
  });

  it("GET /api/v1/health answers 200 without auth", async () => {
    const res = await call("/api/v1/health", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
  });

  it("GET /api/v1/openapi.json is served without auth and lists the task paths", async () => {
    const res = await call("/api/v1/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/tasks", "/api/v1/tasks/{name}", "/api/v1/task-types/{method}"]),
    );
    expect(res.body.paths["/api/v1/tasks"].post).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Ops summary
// ---------------------------------------------------------------------------------------------

describe("ops summary", () => {
  it("GET /api/v1/ops answers 200 for the admin with the dispatcher state and per-method counts", async () => {
    const delayed = await enqueue({ method: "demo.echo", run_at: FAR_FUTURE });
    try {
      const res = await call("/api/v1/ops");
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.dispatcher).toEqual({ enabled: true });
      const echo = res.body.methods.find((m: any) => m.method === "demo.echo");
      expect(echo?.delayed).toBeGreaterThanOrEqual(1);
    } finally {
      await act(delayed.name, "cancel");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Visibility
// ---------------------------------------------------------------------------------------------
