// URLs and signing secrets of alert channels and webhook subscriptions at rest: sealed with the
// REMOTE_SECRETS_KEY Worker secret (AES-GCM), bound to the row and field, opened only to send.
import { decryptSecret, encryptSecret } from "../remote/secrets";
import { vaultKey } from "../remote/vault";

/** What a sealed value belongs to: `channel:<id>` or `subscription:<id>` (no remote target name has a ':'). */
export type SealedOwner = `channel:${string}` | `subscription:${string}`;

const context = (owner: SealedOwner, field: "url" | "signing") => `${owner}:${field}`;

export function seal(env: Env, owner: SealedOwner, field: "url" | "signing", value: string): Promise<string> {
  return encryptSecret(vaultKey(env), value, context(owner, field));
}

export function unseal(env: Env, owner: SealedOwner, field: "url" | "signing", sealed: string): Promise<string> {
  return decryptSecret(vaultKey(env), sealed, context(owner, field));
}
