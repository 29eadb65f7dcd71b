// The Hono environment type shared by every route: bindings plus the authenticated user.
import type { Role } from "../tasks/states";

/** Who is calling: resolved from the API key by auth/middleware.ts. */
export interface User {
  name: string;
  roles: readonly Role[];
  /** The API key id used (not the secret). */
  key: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    user: User;
    requestId: string;
    /** Set when the request authenticated by session cookie: its expiry (epoch ms). */
    sessionExpiresAt?: number;
  };
}

/** System Managers can do and see everything. */
export function isSystemManager(user: User): boolean {
  return user.roles.includes("System Manager");
}

/** True when the user holds one of `roles` (System Manager always does). */
export function hasAnyRole(user: User, roles: readonly Role[]): boolean {
  return isSystemManager(user) || roles.some((role) => user.roles.includes(role));
}

/** Owners see their own records; System Managers see all. Everyone else gets 404. */
export function canSee(user: User, owner: string): boolean {
  return isSystemManager(user) || user.name === owner;
}
