// /api/v1/session: console sign-in with an API key (sets the session cookie), who am I, and logout.
import { createRoute } from "@hono/zod-openapi";
import { Session, SignIn } from "../contract/access";
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { COOKIE_GRACE_MS, cookieName, endSessionOf, signIn } from "../auth/session";
import { getDb } from "../db/client";
import { unauthorized } from "../shared/errors";
import type { AppEnv } from "./context";
import { errorResponses, json, router } from "./router";

const iso = (ms: number) => new Date(ms).toISOString();
const secure = (c: Context<AppEnv>) => new URL(c.req.url).protocol === "https:";

/** Sign-in and logout: mounted before authentication (they work without a valid session). */
export const sessionPublicApi = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary:
        "Sign in to the console: verifies an API key and sets an HttpOnly session cookie (8 h); at most 30 attempts a minute per client address (429 + Retry-After)",
      security: [],
      request: { body: { required: true, content: { "application/json": { schema: SignIn } } } },
      responses: { 201: json(Session, "Signed in; the cookie is set"), ...errorResponses },
    }),
    async (c) => {
      const pair = c.req.valid("json").api_key.trim();
      const i = pair.indexOf(":");
      if (i <= 0 || i === pair.length - 1) throw unauthorized("malformed API key: expected <key>:<secret>");
      const session = await signIn(getDb(c.env), c.env, c.req.raw, {
        key: pair.slice(0, i),
        secret: pair.slice(i + 1),
      });
      // HttpOnly, SameSite=Strict, Path=/; Secure (and the __Host- name) on https.
      setCookie(c, cookieName(c.req.url), session.cookie, {
        httpOnly: true,
        sameSite: "Strict",
        secure: secure(c),
        path: "/",
        // The signed expiry ends the session; the cookie outlives it so the reason can be told.
        maxAge: Math.round((session.expiresAt + COOKIE_GRACE_MS - Date.now()) / 1000),
      });
      c.header("Cache-Control", "no-store");
      const { user } = session;
      return c.json(
        { user: user.name, roles: [...user.roles], key: user.key, expires_at: iso(session.expiresAt) },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/",
      summary:
        "Log out: ends the session on the server (the same cookie replayed later is a 401 session_ended) and clears the cookie",
      security: [],
      responses: { 204: { description: "Logged out" }, ...errorResponses },
    }),
    async (c) => {
      // Refused from another site (no forced logout).
      await endSessionOf(getDb(c.env), c.env, c.req.raw);
      deleteCookie(c, cookieName(c.req.url), { path: "/", secure: secure(c), httpOnly: true, sameSite: "Strict" });
      return c.body(null, 204);
    },
  );

/** Who am I (behind authentication: works with the cookie or an API key). */
export const sessionApi = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "The signed-in user, roles and session expiry",
    responses: { 200: json(Session, "Who am I"), ...errorResponses },
  }),
  (c) => {
    const user = c.get("user");
    const expiresAt = c.get("sessionExpiresAt");
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        user: user.name,
        roles: [...user.roles],
        key: user.key,
        expires_at: expiresAt === null ? null : iso(expiresAt),
      },
      200,
    );
  },
);
