// Who a request is: reads its credential (an API key, or on /api/v1/ the console's session cookie),
// verifies it, and charges the request to its key.
import { getDb } from "../db/client";
import { unauthorized } from "../shared/errors";
import type { User } from "../shared/user";
import { queryCredentialAllowed, readCredential } from "./credentials";
import { noteKeyUse, verifyCredential } from "./keys";
import { chargeRequest } from "./rate-limit";
import { sessionOf } from "./session";

/** An authenticated request: its user, and when it came by session cookie, when that ends. */
export interface Authenticated {
  user: User;
  /** Epoch ms; null for requests that carried an API key. */
  sessionExpiresAt: number | null;
}

/**
 * Who an API request authenticates as. An Authorization header (or `?api_key=` on the Power BI
 * read paths) is verified as an API key; without one, the console's session cookie on /api/v1/
 * stands for the key it was signed in with (re-checked against the key, plus the CSRF rule).
 * Throws `unauthorized` without a valid credential, `forbidden` (csrf_refused) for a cookie-borne
 * state change without the CSRF proof, and `rate_limited` when the key is over its limit — a
 * session's requests count against its key like the key's own. The key's last use is recorded
 * through `defer` (the request's waitUntil), at most once a minute per key and isolate.
 */
export async function authenticate(
  env: Env,
  request: Request,
  path: string,
  defer: (work: Promise<unknown>) => void,
): Promise<Authenticated> {
  const db = getDb(env);
  const credential = readCredential(request);
  if (credential === null) {
    const session = path.startsWith("/api/v1/") ? await sessionOf(db, env, request) : null;
    if (!session) throw unauthorized("an API key is required: Authorization: token <key>:<secret>");
    await chargeRequest(env, session.user);
    noteKeyUse(db, env, session.user, defer);
    return { user: session.user, sessionExpiresAt: session.expiresAt };
  }
  if (credential === "malformed") throw unauthorized("malformed credentials: expected <key>:<secret>");
  if (credential.fromQuery && !queryCredentialAllowed(request.method, path)) {
    throw unauthorized(
      "send the API key in the Authorization header (token <key>:<secret>); ?api_key= is only accepted by the Power BI report endpoints",
    );
  }
  const user = await verifyCredential(db, env, credential);
  if (!user) throw unauthorized("invalid or revoked API key");
  await chargeRequest(env, user);
  noteKeyUse(db, env, user, defer);
  return { user, sessionExpiresAt: null };
}
