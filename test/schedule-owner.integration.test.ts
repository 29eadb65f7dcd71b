// A schedule runs as its owner only while the owner holds a valid API key: revoking their last key
// stops their API schedules at once, with the reason as the stop note; a key revoked behind the
// API's back is caught by the next firing, which stops the schedule instead of enqueuing a run.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectErrorEnvelope, keyId, uid } from "./api-support";
import { call, createKey } from "./helpers";
import { createSchedule, fire, getSchedule, lastHandled, runsOf, uniqueName } from "./schedule-support";

const every10 = (name: string) => ({ name, method: "demo.echo", frequency: "every", every_s: 10 });

/** A Task User with one key and one running schedule. */
async function ownerWithSchedule() {
  const owner = `sched-owner-${uid()}`;
  const key = await createKey(owner, ["Task User"]);
  const name = uniqueName("owned");
  await createSchedule(every10(name), key);
  return { owner, key, name };
}

describe("a schedule whose owner has no valid key", () => {
  it("stops at once, with the reason, when the owner's last key is revoked", async () => {
    const { owner, key, name } = await ownerWithSchedule();
    expect((await getSchedule(name)).stopped).toBe(false);
    expect((await call(`/api/v1/api-keys/${keyId(key)}`, { method: "DELETE" })).status).toBe(204);
    const after = await getSchedule(name);
    expect(after.stopped).toBe(true);
    expect(after.stop_note).toBe(
      `stopped: its owner ${owner} no longer holds a valid API key; start it again once they have one`,
    );
    expect(after.next_execution).toBeNull();
    // Due slots do not run.
    await lastHandled(name, 35_000);
    await fire(name);
    expect(await runsOf(name)).toEqual([]);
  });

  it("keeps running while the owner still holds another key", async () => {
    const { owner, key, name } = await ownerWithSchedule();
    await createKey(owner, ["Task User"]);
    expect((await call(`/api/v1/api-keys/${keyId(key)}`, { method: "DELETE" })).status).toBe(204);
    expect((await getSchedule(name)).stopped).toBe(false);
    await lastHandled(name, 12_000);
    await fire(name);
    expect((await runsOf(name)).length).toBeGreaterThan(0);
  });

  it("a key revoked outside the API: the next firing stops the schedule instead of enqueuing", async () => {
    const { owner, key, name } = await ownerWithSchedule();
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE key = ?").bind(Date.now(), keyId(key)).run();
    await lastHandled(name, 35_000);
    expect(await fire(name)).toBeNull();
    expect(await runsOf(name)).toEqual([]);
    const after = await getSchedule(name);
    expect(after.stopped).toBe(true);
    expect(after.stop_note).toContain(`its owner ${owner} no longer holds a valid API key`);
  });

  it("cannot be started or run now until the owner has a key again (409 owner_without_key)", async () => {
    const { owner, key, name } = await ownerWithSchedule();
    expect((await call(`/api/v1/api-keys/${keyId(key)}`, { method: "DELETE" })).status).toBe(204);
    const start = await call(`/api/v1/scheduled-jobs/${name}/start`, { method: "POST" });
    expectErrorEnvelope(start, 409, "owner_without_key");
    const run = await call(`/api/v1/scheduled-jobs/${name}/run`, { method: "POST" });
    expectErrorEnvelope(run, 409, "owner_without_key");
    expect(await runsOf(name)).toEqual([]);
    expect((await getSchedule(name)).stopped).toBe(true);
    // A new key for the owner: the schedule can be started again.
    await createKey(owner, ["Task User"]);
    const started = await call(`/api/v1/scheduled-jobs/${name}/start`, { method: "POST" });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.stopped).toBe(false);
  });

  it("the admin's own schedules and code schedules are unaffected by revoking other keys", async () => {
    const name = uniqueName("admin-owned");
    await createSchedule(every10(name));
    const other = await createKey(`bystander-${uid()}`);
    expect((await call(`/api/v1/api-keys/${keyId(other)}`, { method: "DELETE" })).status).toBe(204);
    expect((await getSchedule(name)).stopped).toBe(false);
    await lastHandled(name, 12_000);
    await fire(name);
    expect((await runsOf(name)).length).toBeGreaterThan(0);
  });
});
