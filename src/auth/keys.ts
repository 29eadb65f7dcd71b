// API keys: generation, hashing (SHA-256; secrets are random, so a fast hash is enough) and
// verification, with this isolate's memory of recent verifications (key-cache.ts).
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { LAST_USED_EVERY_MS } from "../shared/limits";
import { describeError, log } from "../shared/log";
import { cacheClock } from "../shared/ttl-cache";
import type { User } from "../shared/user";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import { ROLES, type Role } from "../shared/states";
import type { Credential } from "./credentials";
import { authCaches, type KeyHolder } from "./key-cache";

const KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomString(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => KEY_ALPHABET.charAt(b % KEY_ALPHABET.length)).join("");
}

/** A fresh key id (20 chars) and secret (40 chars). */
export function generateKeyPair(): Credential {
  return { key: randomString(20), secret: randomString(40) };
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Hex SHA-256 of a secret, as stored in api_keys.secret_hash. */
export async function hashSecret(secret: string): Promise<string> {
  return hex(await sha256(secret));
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Constant-time comparison of a presented secret against a stored hex hash. */
async function secretMatches(secret: string, storedHash: string): Promise<boolean> {
  const presented = new Uint8Array(await sha256(secret));
  const stored = hexToBytes(storedHash);
  if (stored.length !== presented.length) return false;
  return crypto.subtle.timingSafeEqual(presented, stored);
}

/** Parses the roles column, dropping anything that is not a known role. */
export function parseRoles(json: string): Role[] {
  const known: readonly string[] = ROLES;
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((r): r is Role => typeof r === "string" && known.includes(r)) : [];
  } catch {
    return [];
  }
}

/**
 * User names that stand for the platform itself: `Administrator` owns the admin key's and the code
 * schedules' work, `Guest` is Frappe's anonymous user. Owners are compared by name, so a key of
 * another role under one of these names would see (and act on) what belongs to it.
 */
const RESERVED_USERS = ["administrator", "guest"];

/** Whether a key for `user` with `roles` would borrow a reserved name (allowed to System Managers only). */
export function borrowsReservedName(user: string, roles: readonly Role[]): boolean {
  return RESERVED_USERS.includes(user.trim().toLowerCase()) && !roles.includes("System Manager");
}

/** The bootstrap admin (the ADMIN_API_KEY secret, `<key>:<secret>`), when configured. */
export function adminCredential(env: { ADMIN_API_KEY?: string }): Credential | null {
  const value = env.ADMIN_API_KEY;
  if (!value) return null;
  const i = value.indexOf(":");
  return i > 0 ? { key: value.slice(0, i), secret: value.slice(i + 1) } : null;
}

/** A hash no secret has, compared against when the key is unknown or revoked. */
const NO_SECRET = "0".repeat(64);

/** The user a database key stands for; null when its name borrows a reserved one (never honoured). */
function keyUser(row: { user: string; roles: string; key: string }): User | null {
  const roles = parseRoles(row.roles);
  return borrowsReservedName(row.user, roles) ? null : { name: row.user, roles, key: row.key };
}

/**
 * The user a credential authenticates, or null when the key is unknown, revoked or the secret
 * wrong. A credential verified by this isolate less than KEY_CACHE_TTL_S ago is answered from
 * memory (no D1 read). Every other check takes the same path — one key lookup, the admin secret
 * hashed, the presented secret hashed and compared in constant time — so response time does not
 * tell the admin key from database keys, nor existing keys from unknown ones: the memory is keyed
 * by the digest of the whole credential, so only the right secret ever finds an entry.
 */
export async function verifyCredential(
  db: Db,
  env: { ADMIN_API_KEY?: string },
  credential: Credential,
): Promise<User | null> {
  const { verified } = authCaches(env);
  const digest = hex(await sha256(`${credential.key}:${credential.secret}`));
  const known = verified.get(digest);
  if (known) return known;
  const admin = adminCredential(env);
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.key, credential.key));
  const adminHash = await hashSecret(admin?.secret ?? "");
  const isAdmin = admin !== null && credential.key === admin.key;
  const live = row !== undefined && row.revokedAt === null;
  const expected = isAdmin ? adminHash : live ? row.secretHash : NO_SECRET;
  if (!(await secretMatches(credential.secret, expected))) return null;
  const user = isAdmin ? adminUser(credential.key) : live ? keyUser(row) : null;
  if (user) verified.set(digest, user);
  return user;
}

const adminUser = (key: string): User => ({ name: "Administrator", roles: ["System Manager"], key });

/**
 * The user behind an API key id with its stored secret hash — null when the key is unknown or
 * revoked. Console sessions read it on every request (from this isolate's memory for up to
 * KEY_CACHE_TTL_S), so revoking a key ends its sessions within that bound.
 */
export async function keyHolder(db: Db, env: { ADMIN_API_KEY?: string }, keyId: string): Promise<KeyHolder | null> {
  const { holders } = authCaches(env);
  const known = holders.get(keyId);
  if (known !== undefined) return known;
  const holder = await readHolder(db, env, keyId);
  holders.set(keyId, holder);
  return holder;
}

async function readHolder(db: Db, env: { ADMIN_API_KEY?: string }, keyId: string): Promise<KeyHolder | null> {
  const admin = adminCredential(env);
  if (admin && keyId === admin.key) return { user: adminUser(admin.key), secretHash: await hashSecret(admin.secret) };
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.key, keyId));
  const user = row && row.revokedAt === null ? keyUser(row) : null;
  return row && user ? { user, secretHash: row.secretHash } : null;
}

/** How often one isolate writes a key's last_used_at (at most): shared/limits.ts (the API's contract says it). */
export { LAST_USED_EVERY_MS };

/**
 * Records that the user's key was used, at most once a minute per key in this isolate — never a
 * D1 write per request. The write is handed to `defer` (the request's waitUntil) so no answer
 * waits for it; it never moves the time backwards (another isolate may have written later).
 */
export function noteKeyUse(
  db: Db,
  env: { ADMIN_API_KEY?: string },
  user: User,
  defer: (work: Promise<unknown>) => void,
) {
  if (user.key === adminCredential(env)?.key) return; // the admin key is a secret, not a row
  const { lastUseWritten } = authCaches(env);
  const now = cacheClock.now();
  const last = lastUseWritten.get(user.key);
  if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
  lastUseWritten.set(user.key, now);
  const write = db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.key, user.key), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, now))))
    .run()
    .catch((error: unknown) =>
      log.warn("could not record an API key's last use", { key: user.key, ...describeError(error) }),
    );
  defer(write);
}

/**
 * Whether `user` still holds a live key (the Administrator: while the admin key is configured).
 * A schedule runs as its owner only while this holds.
 */
export async function holdsLiveKey(db: Db, env: { ADMIN_API_KEY?: string }, user: string): Promise<boolean> {
  if (user === "Administrator" && adminCredential(env) !== null) return true;
  const rows = await db
    .select({ user: apiKeys.user, roles: apiKeys.roles, key: apiKeys.key })
    .from(apiKeys)
    .where(and(eq(apiKeys.user, user), isNull(apiKeys.revokedAt)));
  return rows.some((row) => keyUser(row) !== null);
}
