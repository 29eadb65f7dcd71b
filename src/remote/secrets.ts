// Encrypts remote-target secrets at rest (AES-256-GCM) with a key held in a Worker secret.
//
// Stored form: `v1.<key id>.<base64url(iv | ciphertext+tag)>`. The key id (8 base64url chars of
// a hash of the key) tells "encrypted under another key" apart from "tampered", and lets
// `decryptSecret` pick the right key while keys rotate. The additional data binds each value to
// its version, key id and context (e.g. `target:erp:credentials`), so a ciphertext copied into
// another target or field does not decrypt.
import { base64ToBytes, base64UrlToBytes, bytesToBase64, bytesToBase64Url } from "./base64";

const VERSION = "v1";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The configured key is not base64 of 32 bytes (a deployment mistake, not a data problem). */
export class SecretKeyError extends Error {
  override name = "SecretKeyError";
}

/** A stored value that cannot be decrypted: malformed, under an unknown key, tampered, or another context. */
export class SecretDecryptError extends Error {
  override name = "SecretDecryptError";
}

/** A new key for the Worker secret: standard base64 of 32 random bytes. */
export function newEncryptionKey(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(KEY_BYTES)));
}

/** The context string for a target's secret field, the additional data its ciphertext is bound to. */
export function secretContext(target: string, field: string): string {
  return `target:${target}:${field}`;
}

interface Key {
  id: string;
  key: CryptoKey;
}

/** Accepts standard or url-safe base64, padded or not, with surrounding whitespace (`echo | wrangler secret put`). */
async function importKey(material: string): Promise<Key> {
  const text = material.trim();
  const raw = base64ToBytes(text) ?? base64UrlToBytes(text);
  if (raw === null || raw.length !== KEY_BYTES) {
    const got = raw === null ? "text that is not base64" : `${raw.length} bytes`;
    throw new SecretKeyError(`the secrets encryption key must be base64 of ${KEY_BYTES} random bytes; got ${got}`);
  }
  const label = new TextEncoder().encode("switchyard secret key id\0");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array([...label, ...raw])));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id: bytesToBase64Url(digest.subarray(0, 6)), key };
}

const additionalData = (keyId: string, context: string) => new TextEncoder().encode(`${VERSION}.${keyId}.${context}`);

/**
 * Encrypts `plaintext` under `keyMaterial` (the Worker secret) for `context` with a fresh random
 * 12-byte IV. Throws `SecretKeyError` when the key is malformed.
 */
export async function encryptSecret(keyMaterial: string, plaintext: string, context: string): Promise<string> {
  const { id, key } = await importKey(keyMaterial);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(id, context) },
    key,
    new TextEncoder().encode(plaintext),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return `${VERSION}.${id}.${bytesToBase64Url(out)}`;
}

/**
 * Decrypts a value from `encryptSecret` for the same `context`. `keyMaterial` may list several
 * keys (the current one and those being retired); the key id picks the right one. Throws
 * `SecretKeyError` for a malformed key and `SecretDecryptError` otherwise; messages never
 * contain the value or the key.
 */
export async function decryptSecret(
  keyMaterial: string | readonly string[],
  stored: string,
  context: string,
): Promise<string> {
  const keys = await Promise.all((typeof keyMaterial === "string" ? [keyMaterial] : keyMaterial).map(importKey));
  const [version, keyId, payload, ...rest] = stored.split(".");
  if (version !== VERSION || keyId === undefined || payload === undefined || rest.length > 0) {
    throw new SecretDecryptError(`stored secret is not in the ${VERSION}.<key id>.<data> format`);
  }
  const bytes = base64UrlToBytes(payload);
  if (bytes === null || bytes.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptError("stored secret is malformed");
  const match = keys.find((k) => k.id === keyId);
  if (!match) throw new SecretDecryptError(`stored secret was encrypted under another key (id ${keyId})`);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: additionalData(keyId, context) },
      match.key,
      bytes.subarray(IV_BYTES),
    );
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plain);
  } catch {
    throw new SecretDecryptError("stored secret failed authentication (tampered, or stored for another context)");
  }
}
