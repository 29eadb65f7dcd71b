// Remote targets through the API: create/replace/list/get/delete, write-only secrets, rotation,
// the URL policy at registration, roles, and how remote methods show up and are enqueued.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectErrorEnvelope, uid } from "./api-support";
import { ADMIN, call, createKey } from "./helpers";

const frappe = (overrides: Record<string, unknown> = {}) => ({
  kind: "frappe",
  base_url: "https://erp.example.com",
  credentials: { api_key: "k-1234567", api_secret: "s3cr3t-value-never-shown" },
  allowed_methods: ["myapp.api.*", "Sales Invoice.submit"],
  roles: ["Task User"],
  ...overrides,
});

const put = (name: string, body: unknown, key: string = ADMIN) =>
  call(`/api/v1/remote-targets/${name}`, { method: "PUT", body, key });

describe("remote targets", () => {
  it("creates a target, shows its signing secret once and never its credentials", async () => {
    const name = `erp-${uid()}`;
    const created = await put(name, frappe());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/remote-targets/${name}`);
    expect(created.body.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.body).toMatchObject({
      name,
      kind: "frappe",
      base_url: "https://erp.example.com",
      has_credentials: true,
      allowed_methods: ["myapp.api.*", "Sales Invoice.submit"],
      methods: [`${name}:myapp.api.*`, `${name}:Sales Invoice.submit`],
      roles: ["Task User"],
      auth_failed: false,
      previous_signing_secret_until: null,
    });
    const secret = created.body.signing_secret as string;

    const got = await call(`/api/v1/remote-targets/${name}`);
    const listed = await call("/api/v1/remote-targets");
    for (const res of [got, listed]) {
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain("s3cr3t-value-never-shown");
      expect(text).not.toContain(secret.slice(6));
      expect(text).not.toContain('signing_secret"');
    }
    expect(listed.body.data.map((t: { name: string }) => t.name)).toContain(name);

    // At rest: encrypted, not the plain value.
    const row = await env.DB.prepare("SELECT credentials, signing_secrets FROM remote_targets WHERE name = ?")
      .bind(name)
      .first<{ credentials: string; signing_secrets: string }>();
    expect(row?.credentials).toMatch(/^v1\./);
    expect(row?.credentials).not.toContain("s3cr3t");
    expect(row?.signing_secrets).not.toContain(secret.slice(6));
  });

  it("replaces a definition keeping credentials, and refuses a signing secret on replace", async () => {
    const name = `erp-${uid()}`;
    expect((await put(name, frappe())).status).toBe(201);
    const withoutCredentials: Record<string, unknown> = frappe({ allowed_methods: ["myapp.jobs.*"], timeout: 30 });
    delete withoutCredentials.credentials;
    const replaced = await put(name, withoutCredentials);
    expect(replaced.status).toBe(200);
    expect(replaced.body.signing_secret).toBeUndefined();
    expect(replaced.body).toMatchObject({ has_credentials: true, allowed_methods: ["myapp.jobs.*"], timeout: 30 });

    const withSecret = await put(name, { ...withoutCredentials, signing_secret: `whsec_${btoa("x".repeat(32))}` });
    expectErrorEnvelope(withSecret, 400, "signing_secret_on_replace");

    const removed = await put(name, { ...withoutCredentials, credentials: null });
    expect(removed.body.has_credentials).toBe(false);
  });

  it("takes a signing secret the caller brings, and does not echo it", async () => {
    const name = `erp-${uid()}`;
    const own = `whsec_${btoa("k".repeat(32))}`;
    const created = await put(name, frappe({ signing_secret: own }));
    expect(created.status).toBe(201);
    expect(created.body.signing_secret).toBeUndefined();
    expectErrorEnvelope(
      await put(`erp-${uid()}`, frappe({ signing_secret: "whsec_short" })),
      400,
      "invalid_signing_secret",
    );
  });

  it("rotates the signing secret, keeping the previous one for the grace period", async () => {
    const name = `erp-${uid()}`;
    const first = (await put(name, frappe())).body.signing_secret as string;
    const rotated = await call(`/api/v1/remote-targets/${name}/rotate-signing-secret`, { body: { grace: 600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.signing_secret).toMatch(/^whsec_/);
    expect(rotated.body.signing_secret).not.toBe(first);
    const until = Date.parse(rotated.body.previous_signing_secret_until as string);
    expect(until).toBeGreaterThan(Date.now() + 500_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 600_000);
    const got = await call(`/api/v1/remote-targets/${name}`);
    expect(got.body.previous_signing_secret_until).toBe(rotated.body.previous_signing_secret_until);
    expect(JSON.stringify(got.body)).not.toContain((rotated.body.signing_secret as string).slice(6));
  });

  it("refuses base URLs outside the policy, and stores nothing", async () => {
    const refused = [
      "http://10.0.0.1",
      "https://10.1.2.3/api",
      "https://192.168.1.1",
      "https://169.254.169.254",
      "https://[::ffff:10.0.0.1]",
      "https://0.0.0.0",
      "https://user:pw@erp.example.com",
      "https://erp.example.com?x=1",
      "https://metadata.google.internal",
      "https://100.64.0.1",
      "ftp://erp.example.com",
      "https://erp.example.com/a/../b",
    ];
    for (const base_url of refused) {
      const name = `bad-${uid()}`;
      const res = await put(name, frappe({ base_url }));
      expectErrorEnvelope(res, 400, "invalid_base_url");
      expect((await call(`/api/v1/remote-targets/${name}`)).status).toBe(404);
    }
  });

  it("checks credentials fit the kind and can travel in a header, and patterns are method paths", async () => {
    expectErrorEnvelope(
      await put(`x-${uid()}`, frappe({ credentials: { token: "t-123456" } })),
      400,
      "invalid_credentials",
    );
    expectErrorEnvelope(
      await put(`x-${uid()}`, frappe({ credentials: { api_key: "k", api_secret: "a\r\nX-Evil: 1" } })),
      400,
      "validation_failed",
    );
    expectErrorEnvelope(await put(`x-${uid()}`, frappe({ allowed_methods: ["../etc/*"] })), 400, "invalid_pattern");
    expectErrorEnvelope(
      await put(`x-${uid()}`, { kind: "http", base_url: "https://hooks.example.com", allowed_methods: ["jobs/../x"] }),
      400,
      "invalid_pattern",
    );
    // Too short to be told apart from ordinary text when it is redacted from a remote's answers.
    expectErrorEnvelope(
      await put(`x-${uid()}`, frappe({ credentials: { api_key: "k-1234567", api_secret: "short" } })),
      400,
      "validation_failed",
    );
    expectErrorEnvelope(await put("Report", frappe()), 400);
    expectErrorEnvelope(await put("report", frappe()), 400, "invalid_name");
    const http = await put(`h-${uid()}`, {
      kind: "http",
      base_url: "https://hooks.example.com/switchyard",
      credentials: { token: "tok-1234" },
      allowed_methods: ["jobs/*"],
    });
    expect(http.status).toBe(201);
  });

  it("is for System Managers only", async () => {
    const user = await createKey(`u-${uid()}@example.com`, ["Task User"]);
    const name = `erp-${uid()}`;
    expect((await put(name, frappe(), user)).status).toBe(403);
    expect((await call("/api/v1/remote-targets", { key: user })).status).toBe(403);
    expect((await call(`/api/v1/remote-targets/${name}`)).status).toBe(404);
  });

  it("lists remote patterns in the methods, with can_enqueue from the target's roles", async () => {
    const name = `erp-${uid()}`;
    await put(name, frappe({ roles: ["Report User"] }));
    const taskUser = await createKey(`u-${uid()}@example.com`, ["Task User"]);
    const reportUser = await createKey(`r-${uid()}@example.com`, ["Report User"]);
    const find = async (key: string) =>
      (
        (await call("/api/v1/methods", { key })).body.data as {
          method: string;
          can_enqueue: boolean;
          remote_target: string | null;
        }[]
      ).find((m) => m.method === `${name}:myapp.api.*`);
    expect(await find(taskUser)).toMatchObject({ can_enqueue: false, remote_target: name });
    expect(await find(reportUser)).toMatchObject({ can_enqueue: true, remote_target: name });
  });

  it("enqueues only allowed remote methods, for the target's roles", async () => {
    const name = `erp-${uid()}`;
    await put(name, frappe({ roles: [] }));
    // Held by a far start time: these tests check admission, not the call.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const ok = await call("/api/v1/tasks", {
      body: { method: `${name}:myapp.api.sync_customer`, arguments: { customer: "C-1" }, run_at: later },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.method).toBe(`${name}:myapp.api.sync_customer`);
    expectErrorEnvelope(
      await call("/api/v1/tasks", { body: { method: `${name}:frappe.client.delete`, run_at: later } }),
      400,
      "unknown_method",
    );
    expectErrorEnvelope(
      await call("/api/v1/tasks", { body: { method: `nope-${uid()}:myapp.api.x`, run_at: later } }),
      400,
      "unknown_method",
    );
    const user = await createKey(`u-${uid()}@example.com`, ["Task User"]);
    expect(
      (await call("/api/v1/tasks", { body: { method: `${name}:myapp.api.x`, run_at: later }, key: user })).status,
    ).toBe(403);

    const doc = await call("/api/v1/tasks", {
      body: {
        document_type: `${name}:Sales Invoice`,
        document_name: "SINV-1",
        document_action: "submit",
        run_at: later,
      },
    });
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    expect(doc.body.method).toBe(`${name}:Sales Invoice.submit`);
    expectErrorEnvelope(
      await call("/api/v1/tasks", {
        body: {
          document_type: `${name}:Sales Invoice`,
          document_name: "SINV-1",
          document_action: "cancel",
          run_at: later,
        },
      }),
      400,
      "unknown_action",
    );

    // Task types apply to the remote name.
    const typed = await call(`/api/v1/task-types/${encodeURIComponent(`${name}:myapp.api.sync_customer`)}`, {
      method: "PUT",
      body: { concurrency_limit: 2 },
    });
    expect(typed.status, JSON.stringify(typed.body)).toBe(200);
    const untyped = await call(`/api/v1/task-types/${encodeURIComponent(`${name}:other.x`)}`, {
      method: "PUT",
      body: { concurrency_limit: 2 },
    });
    expectErrorEnvelope(untyped, 400, "unknown_method");

    // Deleting is refused while those tasks are live, unless forced.
    const busy = await call(`/api/v1/remote-targets/${name}`, { method: "DELETE" });
    expectErrorEnvelope(busy, 409, "target_in_use");
    expect(busy.body.error.details).toEqual({ live_tasks: 2 });
    expect((await call(`/api/v1/remote-targets/${name}?force=true`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`/api/v1/remote-targets/${name}`, { method: "DELETE" })).status).toBe(404);
  });
});
