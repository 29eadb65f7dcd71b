import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { base64ToBytes } from "../src/remote/base64";
import { newSigningSecret, signHeaders, SigningSecretError, verify } from "../src/remote/signing";

// The cross-library vector of github.com/standard-webhooks/standard-webhooks
// (libraries/go/webhook_test.go TestWebhookSign; the C# tests use the same one).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestampS: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

const body = JSON.stringify({ task: "01J0TASK", attempt: 2, method: "erp:myapp.api.run", arguments: { n: 1 } });
const nowS = () => Math.floor(Date.now() / 1000);

describe("signHeaders", () => {
  it("reproduces the Standard Webhooks published vector", async () => {
    const headers = await signHeaders({
      id: VECTOR.id,
      timestampS: VECTOR.timestampS,
      body: VECTOR.body,
      secrets: [VECTOR.secret],
    });
    expect(headers).toEqual({
      "webhook-id": VECTOR.id,
      "webhook-timestamp": "1614265330",
      "webhook-signature": VECTOR.signature,
    });
  });

  it("signs a byte body exactly like the same text", async () => {
    const input = { id: VECTOR.id, timestampS: VECTOR.timestampS, secrets: [VECTOR.secret] };
    const fromBytes = await signHeaders({ ...input, body: new TextEncoder().encode(VECTOR.body) });
    expect(fromBytes["webhook-signature"]).toBe(VECTOR.signature);
  });

  it("during rotation carries one v1 signature per secret, each accepted by the package's verifier", async () => {
    const [oldSecret, newSecret] = [newSigningSecret(), newSigningSecret()];
    const headers = await signHeaders({ id: "01J0TASK_2", timestampS: nowS(), body, secrets: [newSecret, oldSecret] });
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(oldSecret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(newSecret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSigningSecret()).verify(body, { ...headers })).toThrow("No matching signature");
  });

  it("refuses ids with a dot (the spec forbids them), negative timestamps and no secrets", async () => {
    const base = { id: "task_1", timestampS: 1, body, secrets: [VECTOR.secret] };
    await expect(signHeaders({ ...base, id: "task.1" })).rejects.toThrow(RangeError);
    await expect(signHeaders({ ...base, id: "" })).rejects.toThrow(RangeError);
    await expect(signHeaders({ ...base, timestampS: -1 })).rejects.toThrow(RangeError);
    await expect(signHeaders({ ...base, timestampS: 1.5 })).rejects.toThrow(RangeError);
    await expect(signHeaders({ ...base, secrets: [] })).rejects.toThrow(SigningSecretError);
  });

  it("refuses malformed secrets with a SigningSecretError", async () => {
    for (const secret of ["whsec_", "whsec_c2hvcnQ=", "whsec_not base64!", `whsec_${btoa("x".repeat(65))}`]) {
      await expect(signHeaders({ id: "t_1", timestampS: 1, body, secrets: [secret] })).rejects.toThrow(
        SigningSecretError,
      );
    }
  });
});

describe("newSigningSecret", () => {
  it("is whsec_ + base64 of 32 random bytes, different every time", () => {
    const [a, b] = [newSigningSecret(), newSigningSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(base64ToBytes(a.slice("whsec_".length))?.length).toBe(32);
    expect(a).not.toBe(b);
  });
});

describe("verify", () => {
  const secret = VECTOR.secret;
  const signed = () =>
    signHeaders({ id: VECTOR.id, timestampS: VECTOR.timestampS, body: VECTOR.body, secrets: [secret] });
  const at = (offsetS: number) => VECTOR.timestampS + offsetS;

  it("accepts the published vector, with Headers or a plain record in any letter case", async () => {
    const headers = await signed();
    expect(
      await verify({ headers: new Headers({ ...headers }), body: VECTOR.body, secrets: [secret], nowS: at(0) }),
    ).toEqual({
      ok: true,
    });
    const shouted = {
      "Webhook-Id": headers["webhook-id"],
      "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
      "Webhook-Signature": headers["webhook-signature"],
    };
    expect(await verify({ headers: shouted, body: VECTOR.body, secrets: [secret], nowS: at(0) })).toEqual({ ok: true });
  });

  it("accepts a signature made by the standardwebhooks package", async () => {
    const ts = nowS();
    const signature = new Webhook(secret).sign("01J0TASK_1", new Date(ts * 1000), body);
    const headers = { "webhook-id": "01J0TASK_1", "webhook-timestamp": String(ts), "webhook-signature": signature };
    expect(await verify({ headers, body, secrets: [secret], nowS: ts })).toEqual({ ok: true });
  });

  it("accepts when any of several secrets matches any of several signatures", async () => {
    const other = newSigningSecret();
    const headers = await signHeaders({ id: "t_1", timestampS: at(0), body, secrets: [other, secret] });
    expect(await verify({ headers, body, secrets: [newSigningSecret(), secret], nowS: at(0) })).toEqual({ ok: true });
    expect(await verify({ headers, body, secrets: [newSigningSecret()], nowS: at(0) })).toEqual({
      ok: false,
      reason: "no-matching-signature",
    });
  });

  it("enforces the tolerance on both sides of now, inclusive", async () => {
    const headers = await signed();
    const check = (nowS: number, toleranceS?: number) =>
      verify({ headers, body: VECTOR.body, secrets: [secret], nowS, toleranceS });
    expect(await check(at(300))).toEqual({ ok: true });
    expect(await check(at(301))).toEqual({ ok: false, reason: "timestamp-too-old" });
    expect(await check(at(-300))).toEqual({ ok: true });
    expect(await check(at(-301))).toEqual({ ok: false, reason: "timestamp-too-new" });
    expect(await check(at(11), 10)).toEqual({ ok: false, reason: "timestamp-too-old" });
  });

  it("rejects a changed body, id or timestamp", async () => {
    const headers = await signed();
    const nowS = at(0);
    expect(await verify({ headers, body: `${VECTOR.body} `, secrets: [secret], nowS })).toMatchObject({ ok: false });
    const otherId = { ...headers, "webhook-id": "msg_other" };
    expect(await verify({ headers: otherId, body: VECTOR.body, secrets: [secret], nowS })).toEqual({
      ok: false,
      reason: "no-matching-signature",
    });
    const otherTs = { ...headers, "webhook-timestamp": String(VECTOR.timestampS + 1) };
    expect(await verify({ headers: otherTs, body: VECTOR.body, secrets: [secret], nowS })).toEqual({
      ok: false,
      reason: "no-matching-signature",
    });
  });

  it("tells missing headers, bad timestamps and unusable signatures apart", async () => {
    const headers = await signed();
    const check = (h: Record<string, string | undefined>) =>
      verify({ headers: h, body: VECTOR.body, secrets: [secret], nowS: at(0) });
    expect(await check({ ...headers, "webhook-signature": undefined })).toEqual({
      ok: false,
      reason: "missing-headers",
    });
    expect(await check({ ...headers, "webhook-timestamp": "1614265330.5" })).toEqual({
      ok: false,
      reason: "invalid-timestamp",
    });
    expect(await check({ ...headers, "webhook-signature": VECTOR.signature.replace("v1,", "v1a,") })).toEqual({
      ok: false,
      reason: "no-matching-signature",
    });
    expect(await check({ ...headers, "webhook-signature": "v1,!!!! v1, v1" })).toEqual({
      ok: false,
      reason: "no-matching-signature",
    });
  });
});
