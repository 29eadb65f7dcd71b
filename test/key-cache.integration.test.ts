// The API-key lookup is off the database for keys verified in the last KEY_CACHE_TTL_S (10 s): a key
// used again costs no D1 statement, a key revoked in another isolate (a straight D1 write here: this
// isolate is not told) is refused once the bound has passed, and so are its console sessions. The
// cache's clock is driven by the test, so the bound is crossed without waiting and without timing.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { snapshot } from "../src/shared/metrics";
import { cacheClock } from "../src/shared/ttl-cache";
import { keyId, uid } from "./api-support";
import { ADMIN, call, createKey } from "./helpers";

const TTL_MS = 10_000;
const BASE = "http://switchyard.test";
const CSRF = { "x-switchyard-csrf": "1", origin: BASE };
const realNow = cacheClock.now;

afterEach(() => {
  cacheClock.now = realNow;
});

/** Freezes the caches' clock at `at` (ms). */
const clockAt = (at: number) => {
  cacheClock.now = () => at;
};

/** One env for a whole test: the per-isolate caches live as long as it (like a deployed isolate's env). */
const meteredEnv = (): Env => ({ ...env, METRICS: "on" });

/** GET /api/v1/session (who am I: no D1 of its own) through `target`; its status and the D1 statements it ran. */
async function whoAmI(target: Env, headers: Record<string, string>) {
  const before = snapshot().d1Statements;
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}/api/v1/session`, { headers }), target, ctx);
  await waitOnExecutionContext(ctx); // the deferred last-use write included
  const body = await res.json<{ error?: { code: string } }>();
  return { status: res.status, code: body.error?.code, statements: snapshot().d1Statements - before };
}

/** Signs in to the console through `target`; returns the Cookie header value. */
async function signInThrough(target: Env, credential: string): Promise<string> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${BASE}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", ...CSRF },
      body: JSON.stringify({ api_key: credential }),
    }),
    target,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(201);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

/** Revokes a key the way another isolate would: in D1, without telling this one. */
async function revokeElsewhere(credential: string): Promise<void> {
  await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE key = ?").bind(Date.now(), keyId(credential)).run();
}

async function lastUsedAt(credential: string): Promise<string | null> {
  const keys = await call("/api/v1/api-keys");
  const row = keys.body.data.find((k: { key: string }) => k.key === keyId(credential));
  expect(row, "the key is listed").toBeDefined();
  return row.last_used_at as string | null;
}

describe("the per-isolate key cache", () => {
  it("a key verified a moment ago costs no D1 statement; after the bound it is looked up again", async () => {
    const credential = await createKey(`cache-${uid()}`);
    const target = meteredEnv();
    const headers = { authorization: `token ${credential}` };
    const t0 = Date.now();
    clockAt(t0);
    const first = await whoAmI(target, headers);
    expect(first.status).toBe(200);
    expect(first.statements, "lookup + the first last_used_at write").toBe(2);
    const again = await whoAmI(target, headers);
    expect(again).toMatchObject({ status: 200, statements: 0 });
    clockAt(t0 + TTL_MS - 1);
    expect(await whoAmI(target, headers)).toMatchObject({ status: 200, statements: 0 });
    clockAt(t0 + TTL_MS);
    expect(await whoAmI(target, headers), "looked up again, no write within the minute").toMatchObject({
      status: 200,
      statements: 1,
    });
  });

  it("KEY_CACHE_TTL_S=0 turns it off: every request looks its key up", async () => {
    const credential = await createKey(`cache-off-${uid()}`);
    const target: Env = { ...meteredEnv(), KEY_CACHE_TTL_S: "0" };
    const headers = { authorization: `token ${credential}` };
    clockAt(Date.now());
    expect((await whoAmI(target, headers)).statements).toBe(2);
    expect(await whoAmI(target, headers)).toMatchObject({ status: 200, statements: 1 });
  });

  it("a wrong secret is never answered from the cache, even right after the right one", async () => {
    const credential = await createKey(`cache-wrong-${uid()}`);
    const target = meteredEnv();
    clockAt(Date.now());
    expect((await whoAmI(target, { authorization: `token ${credential}` })).status).toBe(200);
    const wrong = await whoAmI(target, { authorization: `token ${keyId(credential)}:not-the-secret` });
    expect(wrong.status).toBe(401);
    expect(wrong.statements, "the full lookup path, as for any unknown credential").toBe(1);
  });

  it("a key revoked in another isolate works here until the bound, and is refused from then on", async () => {
    const credential = await createKey(`cache-revoked-${uid()}`);
    const target = meteredEnv();
    const headers = { authorization: `token ${credential}` };
    const t0 = Date.now();
    clockAt(t0);
    expect((await whoAmI(target, headers)).status).toBe(200);
    await revokeElsewhere(credential);
    clockAt(t0 + TTL_MS - 1);
    expect((await whoAmI(target, headers)).status, "still inside the stated bound").toBe(200);
    clockAt(t0 + TTL_MS);
    expect(await whoAmI(target, headers)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("a console session of a key revoked in another isolate ends within the same bound", async () => {
    const credential = await createKey(`cache-session-${uid()}`);
    const target = meteredEnv();
    const t0 = Date.now();
    clockAt(t0);
    const cookie = await signInThrough(target, credential);
    expect((await whoAmI(target, { cookie })).status).toBe(200);
    await revokeElsewhere(credential);
    clockAt(t0 + TTL_MS - 1);
    expect((await whoAmI(target, { cookie })).status).toBe(200);
    clockAt(t0 + TTL_MS);
    expect(await whoAmI(target, { cookie })).toMatchObject({ status: 401, code: "session_revoked" });
  });

  it("a session logged out through another isolate ends here within the same bound", async () => {
    const target = meteredEnv();
    const t0 = Date.now();
    clockAt(t0);
    const cookie = await signInThrough(target, ADMIN);
    expect((await whoAmI(target, { cookie })).status).toBe(200);
    // Another isolate: an env of its own has caches of its own.
    const elsewhere = meteredEnv();
    const ctx = createExecutionContext();
    const logout = await worker.fetch(
      new Request(`${BASE}/api/v1/session`, { method: "DELETE", headers: { cookie, ...CSRF } }),
      elsewhere,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(logout.status).toBe(204);
    expect((await whoAmI(elsewhere, { cookie })).code, "at once where it was logged out").toBe("session_ended");
    clockAt(t0 + TTL_MS - 1);
    expect((await whoAmI(target, { cookie })).status).toBe(200);
    clockAt(t0 + TTL_MS);
    expect(await whoAmI(target, { cookie })).toMatchObject({ status: 401, code: "session_ended" });
  });

  it("a revoke through this isolate's API is refused at once, without waiting for the bound", async () => {
    const credential = await createKey(`cache-api-revoke-${uid()}`);
    clockAt(Date.now());
    expect((await call("/api/v1/session", { key: credential })).status).toBe(200);
    expect((await call(`/api/v1/api-keys/${keyId(credential)}`, { method: "DELETE" })).status).toBe(204);
    expect((await call("/api/v1/session", { key: credential })).status).toBe(401);
  });
});

describe("last_used_at", () => {
  it("is written on first use and then at most once a minute per key, whatever the traffic", async () => {
    const credential = await createKey(`last-used-${uid()}`);
    expect(await lastUsedAt(credential)).toBeNull();
    const target = meteredEnv();
    const headers = { authorization: `token ${credential}` };
    const t0 = Date.now() + 1_000;
    clockAt(t0);
    expect((await whoAmI(target, headers)).statements).toBe(2);
    expect(await lastUsedAt(credential)).toBe(new Date(t0).toISOString());
    // Used again and again within the minute (the key's cache entry lapsing in between): no write.
    for (const later of [5_000, 30_000, 59_999]) {
      clockAt(t0 + later);
      const res = await whoAmI(target, headers);
      expect(res.status).toBe(200);
      expect(res.statements, `at +${later} ms: a lookup at most, never a write`).toBeLessThanOrEqual(1);
    }
    expect(await lastUsedAt(credential)).toBe(new Date(t0).toISOString());
    clockAt(t0 + 60_000);
    expect((await whoAmI(target, headers)).statements, "the write (the key itself is still cached)").toBe(1);
    expect(await lastUsedAt(credential)).toBe(new Date(t0 + 60_000).toISOString());
  });

  it("counts a console session's requests as uses of its key", async () => {
    const credential = await createKey(`last-used-session-${uid()}`);
    const signIn = await call("/api/v1/session", {
      key: null,
      body: { api_key: credential },
      headers: { "x-switchyard-csrf": "1", origin: BASE },
    });
    expect(signIn.status).toBe(201);
    expect(await lastUsedAt(credential), "signing in is not a use").toBeNull();
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const t0 = Date.now() + 2_000;
    clockAt(t0);
    const me = await whoAmI(meteredEnv(), { cookie });
    expect(me.status).toBe(200);
    expect(await lastUsedAt(credential)).toBe(new Date(t0).toISOString());
  });
});
