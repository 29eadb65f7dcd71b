// Console sessions: a signed, expiring cookie that stands for an API key, and the CSRF rule that every
// cookie-authenticated state change must pass. The key's secret never leaves the sign-in request.
import { parse } from "hono/utils/cookie";
import type { Db } from "../db/client";
import { endSession, isSessionEnded } from "../db/sessions";
import { config } from "../shared/config";
import { forbidden, unauthorized, unavailable } from "../shared/errors";
import type { User } from "../shared/user";
import type { Credential } from "./credentials";
import { authCaches } from "./key-cache";
import { keyHolder, verifyCredential } from "./keys";
import { chargeSignIn } from "./rate-limit";

/** How long a session lasts (the expiry signed into the cookie). */
export const SESSION_TTL_MS = 8 * 3_600_000;
/**
 * The browser keeps the cookie this much longer than the session, so a request after the expiry
 * still carries it and the server can say "your session has expired" instead of "no credentials".
 */
export const COOKIE_GRACE_MS = 24 * 3_600_000;
/** The header a cookie-authenticated request other than GET/HEAD must carry (forms cannot set it). */
export const CSRF_HEADER = "x-switchyard-csrf";

const PLAIN_NAME = "switchyard_session";
/** On https the cookie gets the __Host- prefix: Secure, Path=/, no Domain — no subdomain can plant it. */
const HOST_NAME = "__Host-switchyard_session";

interface Payload {
  /** API key id (never the secret). */
  k: string;
  /** Expiry, epoch ms. */
  e: number;
  /** Random nonce, so two sessions of one key differ. */
  n: string;
  /** First 16 hex chars of the key's secret hash: rotating a secret under the same key id ends its sessions. */
  h: string;
}

/** A signed-in console user and when the session ends. */
export interface Session {
  user: User;
  expiresAt: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

async function hmacKey(env: object): Promise<CryptoKey> {
  const secret = config(env).sessionSecret;
  if (secret === null) {
    throw unavailable(
      "sessions_unconfigured",
      "console sign-in is not configured: set the SESSION_SECRET secret (32+ characters)",
    );
  }
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/** The cookie name for a request's scheme. */
export function cookieName(url: string): string {
  return new URL(url).protocol === "https:" ? HOST_NAME : PLAIN_NAME;
}

/** Signs a session for `keyId` (whose stored secret hash is `secretHash`), valid until `expiresAt`. */
export async function signSession(env: object, keyId: string, secretHash: string, expiresAt: number): Promise<string> {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(12)));
  const payload: Payload = { k: keyId, e: expiresAt, n: nonce, h: secretHash.slice(0, 16) };
  const body = base64url(encoder.encode(JSON.stringify(payload)));
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(env), encoder.encode(body));
  return `${body}.${base64url(new Uint8Array(mac))}`;
}

/** The payload of a cookie whose signature holds, else null (constant-time verify). */
async function verifySignature(env: object, value: string): Promise<Payload | null> {
  const [body = "", mac = "", ...rest] = value.split(".");
  const signature = fromBase64url(mac);
  if (rest.length > 0 || body === "" || !signature) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(env), signature, encoder.encode(body));
  if (!ok) return null;
  const bytes = fromBase64url(body);
  try {
    const parsed = bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as Partial<Payload>) : null;
    if (
      !parsed ||
      typeof parsed.k !== "string" ||
      typeof parsed.e !== "number" ||
      typeof parsed.n !== "string" ||
      typeof parsed.h !== "string"
    ) {
      return null;
    }
    return { k: parsed.k, e: parsed.e, n: parsed.n, h: parsed.h };
  } catch {
    return null;
  }
}

/**
 * CSRF: a cookie-authenticated request that may change state must carry the custom header (a
 * cross-site form cannot, and a cross-site fetch with it needs a CORS preflight that never allows
 * it) and come from this origin, by `Origin` or by `Sec-Fetch-Site`. Throws 403 `csrf_refused`.
 */
export function checkCsrf(request: Request): void {
  const method = request.method.toUpperCase();
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return;
  const origin = request.headers.get("origin");
  const site = request.headers.get("sec-fetch-site");
  const sameOrigin = origin !== null ? origin === new URL(request.url).origin : site === "same-origin";
  if (request.headers.get(CSRF_HEADER) !== "1" || !sameOrigin) {
    throw forbidden(
      `cookie-authenticated ${method} requests need the ${CSRF_HEADER}: 1 header and a same-origin Origin`,
      "csrf_refused",
    );
  }
}

/** The raw session cookie of the request, if any. */
export function sessionCookie(request: Request): string | undefined {
  const header = request.headers.get("cookie");
  if (header === null) return undefined;
  return parse(header, cookieName(request.url))[cookieName(request.url)];
}

/** Whether the session was logged out (from this isolate's memory for up to KEY_CACHE_TTL_S). */
async function ended(db: Db, env: Env, nonce: string): Promise<boolean> {
  const { ended: known } = authCaches(env);
  const cached = known.get(nonce);
  if (cached !== undefined) return cached;
  const value = await isSessionEnded(db, nonce);
  known.set(nonce, value);
  return value;
}

/**
 * The session of the request's cookie, or null when it carries none. A cookie that is tampered
 * with, expired, logged out or whose key was revoked is a 401 with a code and a message the
 * console shows on its sign-in page; a state change without the CSRF proof is a 403.
 */
export async function sessionOf(db: Db, env: Env, request: Request): Promise<Session | null> {
  const value = sessionCookie(request);
  if (value === undefined) return null;
  const payload = await verifySignature(env, value);
  if (!payload) throw unauthorized("your session is not valid; sign in again", "invalid_session");
  if (payload.e <= Date.now()) throw unauthorized("your session has expired; sign in again", "session_expired");
  const holder = await keyHolder(db, env, payload.k);
  if (!holder || !holder.secretHash.startsWith(payload.h)) {
    throw unauthorized("the API key of this session was revoked; sign in again", "session_revoked");
  }
  if (await ended(db, env, payload.n))
    throw unauthorized("you logged out of this session; sign in again", "session_ended");
  checkCsrf(request);
  return { user: holder.user, expiresAt: payload.e };
}

/**
 * Logout on the server: the request's session (if its cookie is genuine and not yet expired) is
 * recorded as ended, so the same cookie replayed later is a 401 `session_ended` — at once in this
 * isolate, within KEY_CACHE_TTL_S in every other. Refused cross-site (no forced logout).
 */
export async function endSessionOf(db: Db, env: Env, request: Request): Promise<void> {
  const value = sessionCookie(request);
  if (value === undefined) return;
  checkCsrf(request);
  const payload = await verifySignature(env, value);
  const now = Date.now();
  if (!payload || payload.e <= now) return;
  await endSession(db, payload.n, payload.e, now);
  authCaches(env).ended.set(payload.n, true);
}

/**
 * Sign-in: verifies the API key exactly as every request's key is verified, and returns the
 * session with its signed cookie value. Refused cross-site like any state change (login CSRF).
 */
export async function signIn(
  db: Db,
  env: Env,
  request: Request,
  credential: Credential,
): Promise<Session & { cookie: string }> {
  checkCsrf(request);
  // Checked before the key, so a deployment without sessions says so whatever key is sent.
  await hmacKey(env);
  await chargeSignIn(env, request);
  const user = await verifyCredential(db, env, credential);
  const holder = user ? await keyHolder(db, env, user.key) : null;
  if (!user || !holder) throw unauthorized("invalid or revoked API key");
  const expiresAt = Date.now() + SESSION_TTL_MS;
  return { user, expiresAt, cookie: await signSession(env, user.key, holder.secretHash, expiresAt) };
}
