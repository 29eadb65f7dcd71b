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

/** Counts one request against the user's API key; throws rate_limited when the key is over its limit. */
export async function chargeRequest(env: Env, user: User): Promise<void> {
  const { success } = await limiterFor(env, user).limit({ key: user.key });
  if (!success) {
    const seconds = config(env).rateLimitPeriodS;
    throw rateLimited(`too many requests for API key ${user.key}; try again in ${seconds} s`, seconds);
  }
}
