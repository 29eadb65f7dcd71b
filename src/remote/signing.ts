// Standard Webhooks signatures (HMAC-SHA256 over `id.timestamp.body`) for calls to remote targets.
//
// Implemented on WebCrypto rather than the `standardwebhooks` package: its verifier reads the
// clock itself with a fixed 5-minute tolerance and takes one secret per instance, while we sign
// with several secrets during rotation and verify at an injected time. Tests check this module
// against the spec's published vector and against the package's own signer and verifier.
import { base64ToBytes, bytesToBase64 } from "./base64";

const SECRET_PREFIX = "whsec_";
/** Key sizes the spec allows for symmetric secrets. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** Replay window for `verify` unless told otherwise (the spec's libraries use 5 minutes). */
export const DEFAULT_TOLERANCE_S = 5 * 60;

const MESSAGE_ID = /^[A-Za-z0-9_:-]{1,256}$/;

/** A signing secret that is not `whsec_` + base64 of 24–64 bytes. */
export class SigningSecretError extends Error {
  override name = "SigningSecretError";
}

/** A type alias (not an interface) so it can be passed wherever a header record is expected. */
export type WebhookHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

export type VerifyResult =
  | { ok: true }
  | {
      ok: false;
      reason:
        "missing-headers" | "invalid-timestamp" | "timestamp-too-old" | "timestamp-too-new" | "no-matching-signature";
    };

/** A fresh per-target signing secret: `whsec_` + base64 of 32 random bytes. */
export function newSigningSecret(): string {
  return SECRET_PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** Why `secret` cannot sign (a sentence), or null when it is `whsec_` + base64 of 24–64 bytes. */
export function signingSecretProblem(secret: string): string | null {
  const bytes = base64ToBytes(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  if (bytes === null || bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
    return `a signing secret is whsec_ + base64 of ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes`;
  }
  return null;
}

async function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  const problem = signingSecretProblem(secret);
  if (problem !== null) throw new SigningSecretError(problem);
  const bytes =
    base64ToBytes(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret) ?? new Uint8Array(0);
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

/** The signed content `${id}.${timestamp}.${body}` as bytes (the body is signed exactly as sent). */
function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const payload = typeof body === "string" ? encoder.encode(body) : body;
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix);
  out.set(payload, prefix.length);
  return out;
}

/**
 * The three Standard Webhooks headers for a request whose body is exactly `body`. With several
 * secrets (rotation) the signature header carries one `v1,<base64>` per secret, space-separated,
 * so a receiver holding either the old or the new secret accepts it. `id` must be 1–256 of
 * `A-Z a-z 0-9 _ : -` (the spec forbids `.`, which would make the signed content ambiguous).
 */
export async function signHeaders(input: {
  id: string;
  timestampS: number;
  body: string | Uint8Array;
  secrets: readonly string[];
}): Promise<WebhookHeaders> {
  const { id, timestampS, body, secrets } = input;
  if (!MESSAGE_ID.test(id)) throw new RangeError("webhook id must be 1-256 of A-Z a-z 0-9 _ : -");
  if (!Number.isSafeInteger(timestampS) || timestampS < 0) throw new RangeError("timestampS must be whole seconds");
  if (secrets.length === 0) throw new SigningSecretError("at least one signing secret is needed");
  const content = signedContent(id, String(timestampS), body);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), content);
      return `v1,${bytesToBase64(new Uint8Array(mac))}`;
    }),
  );
  return { "webhook-id": id, "webhook-timestamp": String(timestampS), "webhook-signature": signatures.join(" ") };
}

function header(headers: Headers | Readonly<Record<string, string | undefined>>, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? null : (headers[key] ?? null);
}

/**
 * Checks a signed request the way a receiver must: all three headers present, the timestamp
 * within `toleranceS` of `nowS` (replay protection), and at least one `v1` signature matching
 * one of `secrets` (compared in constant time by `crypto.subtle.verify`). Signatures of other
 * schemes (`v1a,…`) are skipped. Throws `SigningSecretError` for a malformed secret.
 */
export async function verify(input: {
  headers: Headers | Readonly<Record<string, string | undefined>>;
  body: string | Uint8Array;
  secrets: readonly string[];
  nowS: number;
  toleranceS?: number;
}): Promise<VerifyResult> {
  const { headers, body, secrets, nowS, toleranceS = DEFAULT_TOLERANCE_S } = input;
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signature = header(headers, "webhook-signature");
  if (!id || !timestamp || !signature) return { ok: false, reason: "missing-headers" };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: "invalid-timestamp" };
  const sentAt = Number(timestamp);
  if (nowS - sentAt > toleranceS) return { ok: false, reason: "timestamp-too-old" };
  if (sentAt - nowS > toleranceS) return { ok: false, reason: "timestamp-too-new" };
  const candidates = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => base64ToBytes(s.slice(3)))
    .filter((mac): mac is Uint8Array<ArrayBuffer> => mac !== null && mac.length === 32);
  const content = signedContent(id, timestamp, body);
  const keys = await Promise.all(secrets.map((secret) => hmacKey(secret, "verify")));
  for (const key of keys) {
    for (const mac of candidates) {
      if (await crypto.subtle.verify("HMAC", key, mac, content)) return { ok: true };
    }
  }
  return { ok: false, reason: "no-matching-signature" };
}
