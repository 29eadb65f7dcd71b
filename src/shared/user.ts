// Who is calling, and the role checks every layer shares.
import type { Role } from "./states";

/** An authenticated caller (resolved from an API key, a session or a ticket by src/auth/). */
export interface User {
  name: string;
  roles: readonly Role[];
  /** The API key id used (not the secret). */
  key: string;
}

/** System Managers can do and see everything. */
export function isSystemManager(user: User): boolean {
  return user.roles.includes("System Manager");
}

/** True when the user holds one of `roles` (System Manager always does). */
export function hasAnyRole(user: User, roles: readonly Role[]): boolean {
  return isSystemManager(user) || roles.some((role) => user.roles.includes(role));
}

/** Owners see their own records; System Managers see all. Everyone else gets "not found". */
export function canSee(user: User, owner: string): boolean {
  return isSystemManager(user) || user.name === owner;
}
