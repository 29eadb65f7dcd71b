// Who a request is: reads its credential, verifies it, and charges the request to its key.
import { getDb } from "../db/client";
import { unauthorized } from "../shared/errors";
import type { User } from "../shared/user";
import { queryCredentialAllowed, readCredential } from "./credentials";
import { verifyCredential } from "./keys";
import { chargeRequest } from "./rate-limit";

/**
 * The user an API request authenticates as. Throws `unauthorized` without a valid key (or with
 * `?api_key=` outside the Power BI read paths) and `rate_limited` when the key is over its limit.
 */
export async function authenticate(env: Env, request: Request, path: string): Promise<User> {
  const credential = readCredential(request);
  if (credential === null) throw unauthorized("an API key is required: Authorization: token <key>:<secret>");
  if (credential === "malformed") throw unauthorized("malformed credentials: expected <key>:<secret>");
  if (credential.fromQuery && !queryCredentialAllowed(request.method, path)) {
    throw unauthorized(
      "send the API key in the Authorization header (token <key>:<secret>); ?api_key= is only accepted by the Power BI report endpoints",
    );
  }
  const user = await verifyCredential(getDb(env), env, credential);
  if (!user) throw unauthorized("invalid or revoked API key");
  await chargeRequest(env, user);
  return user;
}
