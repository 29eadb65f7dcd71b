// Console sessions: a signed, expiring cookie that stands for an API key, and the CSRF rule that every
// cookie-authenticated state change must pass. The key's secret never leaves the sign-in request.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { eq } from "drizzle-orm";
import { ApiError } from "../api/errors";
import type { AppEnv, User } from "../api/context";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import { adminCredential, hashSecret, parseRoles } from "./keys";

/** How long a session lasts (the cookie's Max-Age and the expiry signed into it). */
export const SESSION_TTL_MS = 8 * 3_600_000;
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

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

function sessionSecret(env: Env): string {
  const secret = env.SESSION_SECRET;
  if (!secret || secret.length < 32) {
    throw new ApiError(
      503,
      "sessions_unconfigured",
      "console sign-in is not configured: set the SESSION_SECRET secret (32+ characters)",
    );
  }
  return secret;
}

/** The cookie name for this request's scheme. */
export function cookieName(url: string): string {
  return new URL(url).protocol === "https:" ? HOST_NAME : PLAIN_NAME;
}

/** Signs a session for `keyId` (whose stored secret hash is `secretHash`), valid until `expiresAt`. */
export async function signSession(env: Env, keyId: string, secretHash: string, expiresAt: number): Promise<string> {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(12)));
  const payload: Payload = { k: keyId, e: expiresAt, n: nonce, h: secretHash.slice(0, 16) };
  const body = base64url(encoder.encode(JSON.stringify(payload)));
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(sessionSecret(env)), encoder.encode(body));
  return `${body}.${base64url(new Uint8Array(mac))}`;
}

/** The payload of a cookie whose signature holds, else null (constant-time verify). */
async function verifySignature(env: Env, value: string): Promise<Payload | null> {
  const [body = "", mac = "", ...rest] = value.split(".");
  const signature = fromBase64url(mac);
  if (rest.length > 0 || body === "" || !signature) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(sessionSecret(env)), signature, encoder.encode(body));
  if (!ok) return null;
  const bytes = fromBase64url(body);
  try {
    const parsed = bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as Partial<Payload>) : null;
    if (!parsed || typeof parsed.k !== "string" || typeof parsed.e !== "number" || typeof parsed.h !== "string") {
      return null;
    }
    return { k: parsed.k, e: parsed.e, n: String(parsed.n), h: parsed.h };
  } catch {
    return null;
  }
}

/**
 * The user behind an API key id, with its secret hash — null when the key is unknown or revoked.
 * Looked up on every request, so revoking a key ends its sessions at once.
 */
export async function keyHolder(db: Db, env: Env, keyId: string): Promise<{ user: User; secretHash: string } | null> {
  const admin = adminCredential(env);
  if (admin && keyId === admin.key) {
    return {
      user: { name: "Administrator", roles: ["System Manager"], key: admin.key },
      secretHash: await hashSecret(admin.secret),
    };
  }
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.key, keyId));
  if (!row || row.revokedAt !== null) return null;
  return { user: { name: row.user, roles: parseRoles(row.roles), key: row.key }, secretHash: row.secretHash };
}

/**
 * CSRF: a cookie-authenticated request that may change state must carry the custom header (a
 * cross-site form cannot, and a cross-site fetch with it needs a CORS preflight we never grant) and
 * come from this origin, by `Origin` or by `Sec-Fetch-Site`.
 */
export function checkCsrf(c: Context<AppEnv>): void {
  const method = c.req.method.toUpperCase();
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return;
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  const sameOrigin = origin !== undefined ? origin === new URL(c.req.url).origin : site === "same-origin";
  if (c.req.header(CSRF_HEADER) !== "1" || !sameOrigin) {
    throw new ApiError(
      403,
      "csrf_refused",
      `cookie-authenticated ${method} requests need the ${CSRF_HEADER}: 1 header and a same-origin Origin`,
    );
  }
}

/** The raw session cookie of the request, if any. */
export function readSessionCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, cookieName(c.req.url));
}

/**
 * The user of the request's session cookie, or null when it carries none. A cookie that is tampered
 * with, expired or whose key was revoked is a 401 with a message the console shows on its sign-in
 * page; a state change without the CSRF proof is a 403.
 */
export async function sessionUser(c: Context<AppEnv>, db: Db): Promise<(User & { expiresAt: number }) | null> {
  const value = readSessionCookie(c);
  if (value === undefined) return null;
  const payload = await verifySignature(c.env, value);
  if (!payload) throw new ApiError(401, "invalid_session", "your session is not valid; sign in again");
  if (payload.e <= Date.now()) throw new ApiError(401, "session_expired", "your session has expired; sign in again");
  const holder = await keyHolder(db, c.env, payload.k);
  if (!holder || !holder.secretHash.startsWith(payload.h)) {
    throw new ApiError(401, "session_revoked", "the API key of this session was revoked; sign in again");
  }
  checkCsrf(c);
  return { ...holder.user, expiresAt: payload.e };
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure (and __Host-) on https. */
export function setSessionCookie(c: Context<AppEnv>, value: string, expiresAt: number): void {
  const secure = new URL(c.req.url).protocol === "https:";
  setCookie(c, cookieName(c.req.url), value, {
    httpOnly: true,
    sameSite: "Strict",
    secure,
    path: "/",
    maxAge: Math.max(0, Math.round((expiresAt - Date.now()) / 1000)),
    expires: new Date(expiresAt),
  });
}

/** Clears the session cookie (logout). */
export function clearSessionCookie(c: Context<AppEnv>): void {
  const secure = new URL(c.req.url).protocol === "https:";
  deleteCookie(c, cookieName(c.req.url), { path: "/", secure, httpOnly: true, sameSite: "Strict" });
}
