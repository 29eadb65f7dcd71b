// Per-key request rate limits with Cloudflare's rate-limiting binding, one binding per role.
import { config } from "../shared/config";
import { rateLimited } from "../shared/errors";
import type { User } from "../shared/user";

/** The binding of the most generous role the user holds (limits are configured in wrangler.toml). */
function limiterFor(env: Env, user: User): RateLimit {
  if (user.roles.includes("System Manager")) return env.RATE_LIMIT_SYSTEM_MANAGER;
  if (user.roles.includes("Task User")) return env.RATE_LIMIT_TASK_USER;
  return env.RATE_LIMIT_REPORT_USER;
}

/** The period of RATE_LIMIT_SIGN_IN in wrangler.toml: how long a refused sign-in asks the client to wait. */
const SIGN_IN_PERIOD_S = 60;

/**
 * Counts one console sign-in against the client's address (Cloudflare's CF-Connecting-IP; requests
 * without one share a bucket); throws rate_limited when it is over RATE_LIMIT_SIGN_IN.
 */
export async function chargeSignIn(env: Env, request: Request): Promise<void> {
  const address = request.headers.get("cf-connecting-ip") ?? "unknown";
  const { success } = await env.RATE_LIMIT_SIGN_IN.limit({ key: `sign-in:${address}` });
  if (!success) {
    throw rateLimited(
      `too many sign-in attempts from this address; try again in ${SIGN_IN_PERIOD_S} s`,
      SIGN_IN_PERIOD_S,
    );
  }
}

/** Counts one request against the user's API key; throws rate_limited when the key is over its limit. */
export async function chargeRequest(env: Env, user: User): Promise<void> {
  const { success } = await limiterFor(env, user).limit({ key: user.key });
  if (!success) {
    const seconds = config(env).rateLimitPeriodS;
    throw rateLimited(`too many requests for API key ${user.key}; try again in ${seconds} s`, seconds);
  }
}
