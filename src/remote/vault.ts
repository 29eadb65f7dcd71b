// A target's secrets at rest: credentials and signing secrets sealed with the REMOTE_SECRETS_KEY
// Worker secret (AES-GCM, bound to the target and field), opened only to make a call.
import type { RemoteTargetRow } from "../db/schema";
import { ConfigError } from "../shared/config";
import { decryptSecret, encryptSecret, secretContext } from "./secrets";

/** What a target authenticates our calls with: Frappe's API key and secret, or a bearer token. */
export interface Credentials {
  api_key?: string;
  api_secret?: string;
  token?: string;
}

/** A signing secret and until when it still signs (null: the current one). */
export interface SigningSecret {
  secret: string;
  until: number | null;
}

/** The encryption key, or a clear error when the deployment has none. */
export function vaultKey(env: Env): string {
  const key = env.REMOTE_SECRETS_KEY;
  if (!key) {
    throw new ConfigError(
      "REMOTE_SECRETS_KEY is not set: remote targets need it (npm start creates one; wrangler secret put)",
    );
  }
  return key;
}

export function sealCredentials(env: Env, target: string, credentials: Credentials): Promise<string> {
  return encryptSecret(vaultKey(env), JSON.stringify(credentials), secretContext(target, "credentials"));
}

export function sealSigning(env: Env, target: string, secrets: readonly SigningSecret[]): Promise<string> {
  return encryptSecret(vaultKey(env), JSON.stringify(secrets), secretContext(target, "signing"));
}

/** The target's signing secrets as stored (newest first). */
export async function openSigning(env: Env, row: RemoteTargetRow): Promise<SigningSecret[]> {
  const text = await decryptSecret(vaultKey(env), row.signingSecrets, secretContext(row.name, "signing"));
  return JSON.parse(text) as SigningSecret[];
}

/** The secrets a call needs: credentials (if any) and every signing secret still valid at `now`. */
export async function openSecrets(
  env: Env,
  row: RemoteTargetRow,
  now: number,
): Promise<{ credentials: Credentials | null; signing: string[] }> {
  const credentials =
    row.credentials === null
      ? null
      : (JSON.parse(
          await decryptSecret(vaultKey(env), row.credentials, secretContext(row.name, "credentials")),
        ) as Credentials);
  const signing = (await openSigning(env, row)).filter((s) => s.until === null || s.until > now).map((s) => s.secret);
  return { credentials, signing };
}
