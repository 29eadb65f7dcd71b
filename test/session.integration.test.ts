// Console sessions: sign-in sets a hardened cookie that authenticates like the API key, tampering,
// expiry and revocation end it with a 401 the console can show, state changes need the CSRF proof.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, call, createKey } from "./helpers";

const BASE = "http://switchyard.test";
const CSRF = { "x-switchyard-csrf": "1", origin: BASE };

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const base = path.startsWith("https://") ? "" : BASE;
  const response = await exports.default.fetch(
    new Request(`${base}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text) };
}

/** Signs in with `apiKey`; returns the Cookie header value and the Set-Cookie header. */
async function signIn(apiKey: string = ADMIN) {
  const res = await send("/api/v1/session", { body: { api_key: apiKey }, headers: CSRF });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0] ?? "", setCookie, body: res.body };
}

describe("console sessions", () => {
  it("sign-in sets an HttpOnly, SameSite=Strict, expiring cookie that never contains the secret", async () => {
    const { setCookie, body } = await signIn();
    expect(setCookie).toMatch(/^switchyard_session=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    // The session's 8 hours plus a day's grace (so an expired session is told, not silently dropped),
    // give or take the time the request took; the signed expiry is the session's end.
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(32 * 3600 - 100);
    expect(maxAge).toBeLessThanOrEqual(32 * 3600);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThanOrEqual(8 * 3_600_000);
    expect(setCookie).not.toMatch(/Secure/); // plain http (local dev)
    expect(setCookie).not.toContain("test-admin-secret");
    expect(body).toMatchObject({ user: "Administrator", roles: ["System Manager"], key: "admin" });
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
  });

  it("on https the cookie is __Host- prefixed and Secure", async () => {
    const res = await send("https://switchyard.test/api/v1/session", {
      body: { api_key: ADMIN },
      headers: { "x-switchyard-csrf": "1", origin: "https://switchyard.test" },
    });
    expect(res.status).toBe(201);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-switchyard_session=/);
    expect(setCookie).toMatch(/Secure/);
  });

  it("the cookie authenticates reads and answers who am I", async () => {
    const { cookie } = await signIn();
    const me = await send("/api/v1/session", { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: "Administrator", roles: ["System Manager"] });
    expect(me.body.expires_at).not.toBeNull();
    const list = await send("/api/v1/tasks", { headers: { cookie } });
    expect(list.status).toBe(200);
  });

  it("a wrong key is a 401 and sets no cookie", async () => {
    const res = await send("/api/v1/session", { body: { api_key: "admin:wrong" }, headers: CSRF });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a tampered cookie is a 401 invalid_session", async () => {
    const { cookie } = await signIn();
    const [name, value = ""] = cookie.split("=");
    const [body = "", mac = ""] = value.split(".");
    const forged = JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/")));
    forged.e += 10 * 3_600_000; // try to extend it
    const forgedBody = btoa(JSON.stringify(forged)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const res = await send("/api/v1/tasks", { headers: { cookie: `${name}=${forgedBody}.${mac}` } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_session");
    expect((await send("/api/v1/tasks", { headers: { cookie: `${name}=garbage` } })).body.error.code).toBe(
      "invalid_session",
    );
  });

  it("an expired session is a 401 session_expired with a message to show", async () => {
    const { signSession } = await import("../src/auth/session");
    const { hashSecret } = await import("../src/auth/keys");
    const { env } = await import("cloudflare:workers");
    const value = await signSession(env, "admin", await hashSecret("test-admin-secret"), Date.now() - 1000);
    const res = await send("/api/v1/tasks", { headers: { cookie: `switchyard_session=${value}` } });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "session_expired", message: expect.stringMatching(/expired/) });
  });

  it("revoking the key ends its sessions", async () => {
    const apiKey = await createKey("rita", ["Task User"]);
    const { cookie } = await signIn(apiKey);
    expect((await send("/api/v1/tasks", { headers: { cookie } })).status).toBe(200);
    const revoke = await call(`/api/v1/api-keys/${apiKey.split(":")[0]}`, { method: "DELETE" });
    expect(revoke.status).toBe(204);
    const after = await send("/api/v1/tasks", { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("session_revoked");
  });

  it("state changes by cookie need the CSRF header and a same-origin Origin", async () => {
    const { cookie } = await signIn();
    const spec = { method: "demo.sleep", arguments: { ms: 1 }, run_at: new Date(Date.now() + 3_600_000).toISOString() };
    const noHeader = await send("/api/v1/tasks", { body: spec, headers: { cookie, origin: BASE } });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error.code).toBe("csrf_refused");
    const crossSite = await send("/api/v1/tasks", {
      body: spec,
      headers: { cookie, "x-switchyard-csrf": "1", origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const noOrigin = await send("/api/v1/tasks", { body: spec, headers: { cookie, "x-switchyard-csrf": "1" } });
    expect(noOrigin.status).toBe(403);
    const fetchSite = await send("/api/v1/tasks", {
      body: spec,
      headers: { cookie, "x-switchyard-csrf": "1", "sec-fetch-site": "same-origin" },
    });
    expect(fetchSite.status).toBe(201);
    const ok = await send("/api/v1/tasks", { body: spec, headers: { cookie, ...CSRF } });
    expect(ok.status).toBe(201);
    // Sign-in itself is refused cross-site (login CSRF).
    const login = await send("/api/v1/session", {
      body: { api_key: ADMIN },
      headers: { "x-switchyard-csrf": "1", origin: "https://evil.example" },
    });
    expect(login.status).toBe(403);
  });

  it("a session's requests count against its key's rate limit, like the key's own", async () => {
    const apiKey = await createKey("rate-limited-reader", ["Report User"]);
    const { cookie } = await signIn(apiKey);
    let served = 0;
    let limited: Awaited<ReturnType<typeof send>> | undefined;
    for (; served < 200; served++) {
      const res = await send("/api/v1/reports", { headers: { cookie } });
      if (res.status === 429) {
        limited = res;
        break;
      }
      expect(res.status).toBe(200);
    }
    expect(limited?.body.error.code).toBe("rate_limited");
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    // The same key with its header is over the limit too: one key, one budget.
    expect((await call("/api/v1/reports", { key: apiKey })).status).toBe(429);
  });

  it("the cookie is not accepted outside /api/v1/ (the Frappe paths take API keys only)", async () => {
    const { cookie } = await signIn();
    const res = await send("/api/method/tweaks.utils.report_long_polling.check_status?job_id=x", {
      headers: { cookie },
    });
    expect(res.status).toBe(401);
  });

  it("requests with an Authorization header are unaffected by the CSRF rule", async () => {
    const res = await call("/api/v1/tasks", {
      body: { method: "demo.sleep", arguments: { ms: 1 }, run_at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(res.status).toBe(201);
  });

  it("realtime tickets can be had with the cookie (and the CSRF proof)", async () => {
    const { cookie } = await signIn();
    expect((await send("/api/v1/realtime/tickets", { method: "POST", headers: { cookie } })).status).toBe(403);
    const res = await send("/api/v1/realtime/tickets", { method: "POST", headers: { cookie, ...CSRF } });
    expect(res.status).toBe(201);
    expect(res.body.ticket).toEqual(expect.any(String));
  });

  it("logout clears the cookie and ends the session on the server: the old cookie replayed is a 401", async () => {
    const { cookie } = await signIn();
    expect((await send("/api/v1/session", { headers: { cookie } })).status).toBe(200);
    const out = await send("/api/v1/session", { method: "DELETE", headers: { cookie, ...CSRF } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^switchyard_session=;.*Max-Age=0/);
    // The browser dropped it; whoever kept a copy cannot use it any more.
    const replayed = await send("/api/v1/session", { headers: { cookie } });
    expect(replayed.status).toBe(401);
    expect(replayed.body.error.code).toBe("session_ended");
    const write = await send("/api/v1/realtime/tickets", { method: "POST", headers: { cookie, ...CSRF } });
    expect(write.status).toBe(401);
    // Another session of the same key is untouched.
    const other = await signIn();
    expect((await send("/api/v1/session", { headers: { cookie: other.cookie } })).status).toBe(200);
    // A forced logout from another site is refused, and ends nothing.
    const cross = await send("/api/v1/session", {
      method: "DELETE",
      headers: { cookie: other.cookie, origin: "https://evil.example" },
    });
    expect(cross.status).toBe(403);
    expect((await send("/api/v1/session", { headers: { cookie: other.cookie } })).status).toBe(200);
  });

  it("a console request never gets a Basic challenge, even a download link after the session ended", async () => {
    const { cookie } = await signIn();
    expect((await send("/api/v1/session", { method: "DELETE", headers: { cookie, ...CSRF } })).status).toBe(204);
    const download = "/api/v1/report-jobs/01ZZZZZZZZZZZZZZZZZZZZZZZZ/result?format=csv";
    // A plain link: no CSRF header, only the (ended) cookie.
    const link = await send(download, { headers: { cookie } });
    expect(link.status).toBe(401);
    expect(link.body.error.code).toBe("session_ended");
    expect(link.headers.get("www-authenticate")).toBeNull();
    // The cookie already gone: the link is still the console's page's own (same-origin) request.
    const noCookie = await send(download, { headers: { "sec-fetch-site": "same-origin" } });
    expect(noCookie.status).toBe(401);
    expect(noCookie.headers.get("www-authenticate")).toBeNull();
    // Power BI (no cookie, not from our pages) still gets the challenge it needs.
    const powerBi = await send(download);
    expect(powerBi.status).toBe(401);
    expect(powerBi.headers.get("www-authenticate")).toMatch(/^Basic /);
  });

  it("sign-in is rate limited per client address: 429 with Retry-After, other addresses unaffected", async () => {
    const address = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const attempt = (ip: string) =>
      send("/api/v1/session", {
        body: { api_key: "unknown-key:wrong-secret" },
        headers: { ...CSRF, "cf-connecting-ip": ip },
      });
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    let tries = 0;
    for (; tries < 100 && refused === undefined; tries++) {
      const res = await attempt(address);
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(401);
    }
    expect(refused?.body.error.code).toBe("rate_limited");
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(tries, "the limit is the configured 30 a minute").toBeLessThanOrEqual(31);
    // Even the right key is refused from that address now, and nothing is signed in.
    const right = await send("/api/v1/session", {
      body: { api_key: ADMIN },
      headers: { ...CSRF, "cf-connecting-ip": address },
    });
    expect(right.status).toBe(429);
    expect(right.headers.get("set-cookie")).toBeNull();
    expect((await attempt("198.51.100.251")).status).toBe(401);
  });
});
