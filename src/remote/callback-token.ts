// The per-attempt callback token a remote call carries: `<attempt>.<HMAC>` of the task and attempt
// under a key derived from the REMOTE_SECRETS_KEY secret. Nothing is stored: the token is checked
// by computing it again, and it is only ever good for its own attempt.
import { base64ToBytes, base64UrlToBytes, bytesToBase64Url } from "./base64";

async function macKey(secret: string): Promise<CryptoKey> {
  const raw = base64ToBytes(secret.trim());
  if (raw === null || raw.length !== 32) throw new Error("REMOTE_SECRETS_KEY must be base64 of 32 random bytes");
  // A key of its own (HKDF), so tokens and the at-rest encryption never share one.
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: new TextEncoder().encode("switchyard callback tokens"),
    },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

const message = (task: string, attempt: number) => new TextEncoder().encode(`callback\0${task}\0${attempt}`);

/** The token for the callbacks of `task`'s attempt `attempt`. */
export async function callbackToken(secret: string, task: string, attempt: number): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await macKey(secret), message(task, attempt));
  return `${attempt}.${bytesToBase64Url(new Uint8Array(mac))}`;
}

/**
 * The attempt a token was issued for, when it is `task`'s genuine token (checked in constant
 * time); null for anything else.
 */
export async function tokenAttempt(secret: string, task: string, token: string): Promise<number | null> {
  const match = /^([1-9]\d{0,8})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const attempt = Number(match[1]);
  const mac = base64UrlToBytes(match[2] ?? "");
  if (mac === null) return null;
  const ok = await crypto.subtle.verify("HMAC", await macKey(secret), mac, message(task, attempt));
  return ok ? attempt : null;
}
