// What this isolate learnt about keys and console sessions in the last few seconds, so a request
// whose key was just verified costs no D1 read: verified credentials, key holders (sessions) and
// ended sessions. Every entry lapses after KEY_CACHE_TTL_S (≤ 10 s) — the bound on how long a key
// revoked, or a session logged out, in another isolate still works in this one. Revoking or
// logging out through this isolate forgets at once.
import { config } from "../shared/config";
import { TtlCache } from "../shared/ttl-cache";
import type { User } from "../shared/user";

/** The user behind a key id and the key's stored secret hash (what a session is checked against). */
export interface KeyHolder {
  user: User;
  secretHash: string;
}

interface Caches {
  /** SHA-256 of `key:secret` → the user it verified as (only successes are kept). */
  verified: TtlCache<User>;
  /** Key id → its holder, or null for an unknown or revoked key. */
  holders: TtlCache<KeyHolder | null>;
  /** Session nonce → whether it was logged out. */
  ended: TtlCache<boolean>;
  /** Key id → when this isolate last wrote its last_used_at. */
  lastUseWritten: Map<string, number>;
}

const perEnv = new WeakMap<object, Caches>();

/** This environment's caches (one set per isolate and configuration). */
export function authCaches(env: object): Caches {
  let caches = perEnv.get(env);
  if (!caches) {
    const ttl = config(env).keyCacheTtlMs;
    caches = {
      verified: new TtlCache(ttl),
      holders: new TtlCache(ttl),
      ended: new TtlCache(ttl),
      lastUseWritten: new Map(),
    };
    perEnv.set(env, caches);
  }
  return caches;
}

/** Forgets everything known about the key (it was just revoked through this isolate). */
export function forgetKey(env: object, keyId: string): void {
  const caches = authCaches(env);
  caches.holders.delete(keyId);
  caches.verified.deleteWhere((user) => user.key === keyId);
}
