import { describe, expect, it } from "vitest";
import { base64ToBytes, base64UrlToBytes, bytesToBase64Url } from "../src/remote/base64";
import {
  decryptSecret,
  encryptSecret,
  newEncryptionKey,
  SecretDecryptError,
  SecretKeyError,
  secretContext,
} from "../src/remote/secrets";

const KEY = newEncryptionKey();
const CONTEXT = secretContext("erp", "credentials");
const SECRET = "api-key:api-secret ✓";

/** Flips one bit of the byte at `index` of the stored value's base64url payload. */
function flipBit(stored: string, index: number): string {
  const [version, keyId, payload = ""] = stored.split(".");
  const bytes = base64UrlToBytes(payload) ?? new Uint8Array(0);
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  return `${version}.${keyId}.${bytesToBase64Url(bytes)}`;
}

describe("newEncryptionKey", () => {
  it("is standard base64 of 32 random bytes, different every time", () => {
    expect(base64ToBytes(KEY)?.length).toBe(32);
    expect(newEncryptionKey()).not.toBe(newEncryptionKey());
  });
});

describe("encryptSecret / decryptSecret", () => {
  it("round-trips a secret in the compact v1.<key id>.<data> form without the plaintext in it", async () => {
    const stored = await encryptSecret(KEY, SECRET, CONTEXT);
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain("api-secret");
    expect(await decryptSecret(KEY, stored, CONTEXT)).toBe(SECRET);
  });

  it("uses a fresh IV each time, so equal secrets do not give equal ciphertexts", async () => {
    const [a, b] = [await encryptSecret(KEY, SECRET, CONTEXT), await encryptSecret(KEY, SECRET, CONTEXT)];
    expect(a).not.toBe(b);
    expect(a.split(".")[2]?.slice(0, 16)).not.toBe(b.split(".")[2]?.slice(0, 16));
  });

  it("round-trips the empty string", async () => {
    expect(await decryptSecret(KEY, await encryptSecret(KEY, "", CONTEXT), CONTEXT)).toBe("");
  });

  it("does not decrypt a ciphertext copied into another target or field", async () => {
    const stored = await encryptSecret(KEY, SECRET, CONTEXT);
    for (const context of [secretContext("crm", "credentials"), secretContext("erp", "signing_secret")]) {
      await expect(decryptSecret(KEY, stored, context)).rejects.toThrow(SecretDecryptError);
    }
  });

  it("detects tampering with the IV, the ciphertext or the tag", async () => {
    const stored = await encryptSecret(KEY, SECRET, CONTEXT);
    const last = (base64UrlToBytes(stored.split(".")[2] ?? "")?.length ?? 0) - 1;
    for (const index of [0, 12, last]) {
      await expect(decryptSecret(KEY, flipBit(stored, index), CONTEXT)).rejects.toThrow("failed authentication");
    }
  });

  it("says when a value was encrypted under another key, and decrypts with a retiring key listed", async () => {
    const oldKey = newEncryptionKey();
    const stored = await encryptSecret(oldKey, SECRET, CONTEXT);
    await expect(decryptSecret(KEY, stored, CONTEXT)).rejects.toThrow("encrypted under another key");
    expect(await decryptSecret([KEY, oldKey], stored, CONTEXT)).toBe(SECRET);
  });

  it("refuses malformed stored values", async () => {
    for (const stored of [
      "",
      "plaintext",
      "v2.abcdefgh.AAAA",
      "v1.abcdefgh",
      "v1.a.b.c",
      "v1.abcdefgh.!!!!",
      "v1.x.AAAA",
    ]) {
      await expect(decryptSecret(KEY, stored, CONTEXT)).rejects.toThrow(SecretDecryptError);
    }
  });

  it("accepts the key as url-safe base64 and with a trailing newline, as `wrangler secret put` may store it", async () => {
    const raw = base64ToBytes(KEY) ?? new Uint8Array(0);
    const stored = await encryptSecret(`${KEY}\n`, SECRET, CONTEXT);
    expect(await decryptSecret(bytesToBase64Url(raw), stored, CONTEXT)).toBe(SECRET);
  });

  it("gives a clear error for a malformed key, without echoing it", async () => {
    const short = btoa("too short");
    for (const key of ["", "not base64 at all!", short, `${KEY}AAAA`]) {
      const failure = encryptSecret(key, SECRET, CONTEXT);
      await expect(failure).rejects.toThrow(SecretKeyError);
      await expect(failure).rejects.toThrow("must be base64 of 32 random bytes");
    }
    const message = await encryptSecret(short, SECRET, CONTEXT).then(
      () => "resolved",
      (error: unknown) => String(error),
    );
    expect(message).toContain("got 9 bytes");
    expect(message).not.toContain(short);
    await expect(decryptSecret(short, "v1.abcdefgh.AAAA", CONTEXT)).rejects.toThrow(SecretKeyError);
  });
});
