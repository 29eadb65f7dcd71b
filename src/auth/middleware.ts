// Hono middleware that authenticates every /api request, charges it to its key's rate limit and
// sets c.var.user.
import { createMiddleware } from "hono/factory";
import { getDb } from "../db/client";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../api/context";
import { queryCredentialAllowed, readCredential } from "./credentials";
import { verifyCredential } from "./keys";
import { chargeRequest } from "./rate-limit";

/** Rejects requests without a valid API key (401) or over their key's rate limit (429); otherwise sets `user`. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const credential = readCredential(c.req.raw);
  if (credential === null) {
    throw new ApiError(401, "unauthorized", "an API key is required: Authorization: token <key>:<secret>");
  }
  if (credential === "malformed") {
    throw new ApiError(401, "unauthorized", "malformed credentials: expected <key>:<secret>");
  }
  if (credential.fromQuery && !queryCredentialAllowed(c.req.method, c.req.path)) {
    throw new ApiError(
      401,
      "unauthorized",
      "send the API key in the Authorization header (token <key>:<secret>); ?api_key= is only accepted by the Power BI report endpoints",
    );
  }
  const user = await verifyCredential(getDb(c.env), c.env, credential);
  if (!user) throw new ApiError(401, "unauthorized", "invalid or revoked API key");
  await chargeRequest(c.env, user);
  c.set("user", user);
  await next();
});
