// API keys: generation, hashing (SHA-256; secrets are random, so a fast hash is enough) and verification.
import { eq } from "drizzle-orm";
import type { User } from "../shared/user";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import { ROLES, type Role } from "../shared/states";
import type { Credential } from "./credentials";

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

/** Hex SHA-256 of a secret, as stored in api_keys.secret_hash. */
export async function hashSecret(secret: string): Promise<string> {
  return [...new Uint8Array(await sha256(secret))].map((b) => b.toString(16).padStart(2, "0")).join("");
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

/** The bootstrap admin (the ADMIN_API_KEY secret, `<key>:<secret>`), when configured. */
export function adminCredential(env: { ADMIN_API_KEY?: string }): Credential | null {
  const value = env.ADMIN_API_KEY;
  if (!value) return null;
  const i = value.indexOf(":");
  return i > 0 ? { key: value.slice(0, i), secret: value.slice(i + 1) } : null;
}

/** A hash no secret has, compared against when the key is unknown or revoked. */
const NO_SECRET = "0".repeat(64);

/**
 * The user a credential authenticates, or null when the key is unknown, revoked or the secret
 * wrong. Every check takes the same path — one key lookup, the admin secret hashed, the
 * presented secret hashed and compared in constant time — so response time does not tell the
 * admin key from database keys, nor existing keys from unknown ones.
 */
export async function verifyCredential(
  db: Db,
  env: { ADMIN_API_KEY?: string },
  credential: Credential,
): Promise<User | null> {
  const admin = adminCredential(env);
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.key, credential.key));
  const adminHash = await hashSecret(admin?.secret ?? "");
  const isAdmin = admin !== null && credential.key === admin.key;
  const live = row !== undefined && row.revokedAt === null;
  const expected = isAdmin ? adminHash : live ? row.secretHash : NO_SECRET;
  if (!(await secretMatches(credential.secret, expected))) return null;
  if (isAdmin) return { name: "Administrator", roles: ["System Manager"], key: credential.key };
  return live ? { name: row.user, roles: parseRoles(row.roles), key: row.key } : null;
}

/**
 * The user behind an API key id with its stored secret hash — null when the key is unknown or
 * revoked. Console sessions read it on every request, so revoking a key ends its sessions at once.
 */
export async function keyHolder(
  db: Db,
  env: { ADMIN_API_KEY?: string },
  keyId: string,
): Promise<{ user: User; secretHash: string } | null> {
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
