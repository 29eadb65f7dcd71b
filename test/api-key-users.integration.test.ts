// API key users: the shared id grammar, trimmed, and the platform's own names (Administrator, Guest)
// kept for System Manager keys — owners are compared by name, so a Task User key named Administrator
// would see the admin's tasks.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashSecret } from "../src/auth/keys";
import { expectErrorEnvelope, uid } from "./api-support";
import { ADMIN, call, createKey, enqueue } from "./helpers";

async function count(sql: string, ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe("API key users", () => {
  async function createRaw(user: string, roles: string[]) {
    return call("/api/v1/api-keys", { body: { user, roles } });
  }

  it("a user name is stored without leading and trailing spaces", async () => {
    const name = `ana-${uid()}@example.com`;
    const res = await createRaw(`  ${name}\t `, ["Task User"]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.user).toBe(name);
    expect((await call("/api/v1/session", { key: res.body.api_key })).body.user).toBe(name);
  });

  it("an unroutable or colon user name is a 400 and no key is created", async () => {
    for (const user of ["..", ".", "a/b", "a b", "a:b", "   "]) {
      const before = await count("SELECT count(*) AS n FROM api_keys");
      expectErrorEnvelope(await createRaw(user, ["Task User"]), 400, "validation_failed");
      expect(await count("SELECT count(*) AS n FROM api_keys"), JSON.stringify(user)).toBe(before);
    }
  });

  it("Administrator and Guest are refused for other roles, so a Task User cannot see the admin's tasks", async () => {
    const adminTask = await enqueue({ method: "demo.echo", arguments: { mine: "admin" } });
    for (const [user, roles] of [
      ["Administrator", ["Task User"]],
      [" administrator ", ["Task User", "Report User"]],
      ["Guest", ["Report User"]],
    ] as const) {
      const before = await count("SELECT count(*) AS n FROM api_keys");
      const error = expectErrorEnvelope(await createRaw(user, [...roles]), 400, "reserved_user");
      expect(error.message).toMatch(/reserved/);
      expect(await count("SELECT count(*) AS n FROM api_keys")).toBe(before);
    }
    // A System Manager key may carry the name (it sees everything anyway).
    const admin2 = await createRaw("Administrator", ["System Manager"]);
    expect(admin2.status).toBe(201);
    expect((await call(`/api/v1/tasks/${adminTask.name}`, { key: admin2.body.api_key })).status).toBe(200);
  });

  it("a Task User key named Administrator that is already stored (from before the rule) authenticates as nobody", async () => {
    const adminTask = await enqueue({ method: "demo.echo", arguments: { mine: "admin" } });
    const key = `legacy${uid()}`;
    await env.DB.prepare(
      "INSERT INTO api_keys (key, secret_hash, user, roles, created_by, created_at) VALUES (?, ?, 'Administrator', '[\"Task User\"]', 'Administrator', ?)",
    )
      .bind(key, await hashSecret("legacy-secret"), Date.now())
      .run();
    const res = await call(`/api/v1/tasks/${adminTask.name}`, { key: `${key}:legacy-secret` });
    expect(res.status).toBe(401);
    const list = await call("/api/v1/tasks?limit=5", { key: `${key}:legacy-secret` });
    expect(list.status).toBe(401);
    // Its console sign-in is refused too.
    const signIn = await call("/api/v1/session", {
      key: null,
      body: { api_key: `${key}:legacy-secret` },
      headers: { "x-switchyard-csrf": "1", origin: "http://switchyard.test" },
    });
    expect(signIn.status).toBe(401);
  });

  it("keys made with the ADMIN key still work for ordinary users", async () => {
    const user = await createKey(`plain-${uid()}`);
    expect((await call("/api/v1/session", { key: user })).status).toBe(200);
    expect((await call("/api/v1/session", { key: ADMIN })).body.user).toBe("Administrator");
  });
});
