// /api/v1/session: console sign-in with an API key (sets the session cookie), who am I, and logout.
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { verifyCredential } from "../auth/keys";
import {
  SESSION_TTL_MS,
  checkCsrf,
  clearSessionCookie,
  keyHolder,
  readSessionCookie,
  setSessionCookie,
  signSession,
} from "../auth/session";
import { getDb } from "../db/client";
import type { AppEnv } from "./context";
import { ApiError, validationHook } from "./errors";
import { errorResponses, json } from "./schemas";

const Session = z
  .object({
    user: z.string(),
    roles: z.array(z.string()),
    key: z.string().openapi({ description: "the API key id (never the secret)" }),
    expires_at: z.string().nullable().openapi({ description: "null when the request used an API key, not a cookie" }),
  })
  .openapi("Session");

const SignIn = z.strictObject({
  api_key: z.string().min(3).max(300).openapi({ description: "<key>:<secret>", example: "abc:def" }),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Sign-in and logout: mounted before the auth middleware (they work without a valid session). */
export const sessionPublicApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary: "Sign in to the console: verifies an API key and sets an HttpOnly session cookie (8 h)",
      security: [],
      request: { body: { required: true, content: { "application/json": { schema: SignIn } } } },
      responses: { 201: json(Session, "Signed in; the cookie is set"), ...errorResponses },
    }),
    async (c) => {
      // Login CSRF (signing a victim into the attacker's account) is refused like any other.
      checkCsrf(c);
      const pair = c.req.valid("json").api_key.trim();
      const i = pair.indexOf(":");
      if (i <= 0 || i === pair.length - 1) {
        throw new ApiError(401, "unauthorized", "malformed API key: expected <key>:<secret>");
      }
      const db = getDb(c.env);
      const user = await verifyCredential(db, c.env, { key: pair.slice(0, i), secret: pair.slice(i + 1) });
      const holder = user ? await keyHolder(db, c.env, user.key) : null;
      if (!user || !holder) throw new ApiError(401, "unauthorized", "invalid or revoked API key");
      const expiresAt = Date.now() + SESSION_TTL_MS;
      setSessionCookie(c, await signSession(c.env, user.key, holder.secretHash, expiresAt), expiresAt);
      c.header("Cache-Control", "no-store");
      return c.json({ user: user.name, roles: [...user.roles], key: user.key, expires_at: iso(expiresAt) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/",
      summary: "Log out: clears the session cookie",
      security: [],
      responses: { 204: { description: "Logged out" }, ...errorResponses },
    }),
    (c) => {
      if (readSessionCookie(c) !== undefined) checkCsrf(c);
      clearSessionCookie(c);
      return c.body(null, 204);
    },
  );

/** Who am I (behind the auth middleware: works with the cookie or an API key). */
export const sessionApi = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
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
      { user: user.name, roles: [...user.roles], key: user.key, expires_at: expiresAt ? iso(expiresAt) : null },
      200,
    );
  },
);
