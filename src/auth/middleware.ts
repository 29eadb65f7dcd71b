// Hono middleware that authenticates every /api request and sets c.var.user.
import { createMiddleware } from "hono/factory";
import { getDb } from "../db/client";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../api/context";
import { readCredential } from "./credentials";
import { verifyCredential } from "./keys";
import { sessionUser } from "./session";

/** Rejects requests without a valid API key (401); otherwise sets `user`. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const credential = readCredential(c.req.raw);
  // Console: no credential, but a session cookie (which also enforces the CSRF rule).
  const session = credential === null ? await sessionUser(c, getDb(c.env)) : null;
  if (session) {
    const { expiresAt, ...user } = session;
    c.set("user", user);
    c.set("sessionExpiresAt", expiresAt);
    return next();
  }
  if (credential === null) {
    throw new ApiError(401, "unauthorized", "an API key is required: Authorization: token <key>:<secret>");
  }
  if (credential === "malformed") {
    throw new ApiError(401, "unauthorized", "malformed credentials: expected <key>:<secret>");
  }
  const user = await verifyCredential(getDb(c.env), c.env, credential);
  if (!user) throw new ApiError(401, "unauthorized", "invalid or revoked API key");
  c.set("user", user);
  await next();
});
