// The route kit every resource file uses: one router(), authentication and role checks as route
// middleware, path parameters, list pages, and complete error responses for the OpenAPI document.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { authenticate } from "../auth/authenticate";
import { forbidden } from "../shared/errors";
import type { Role } from "../shared/states";
import { hasAnyRole } from "../shared/user";
import type { AppEnv } from "./context";
import { validationHook } from "./errors";

/** A resource's sub-app: validation failures answer the common 400 envelope. */
export const router = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/**
 * Authenticates the request (API key or console session; 401/403/429 otherwise) and sets `user`
 * (and `sessionExpiresAt` for a session).
 */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const { user, sessionExpiresAt } = await authenticate(c.env, c.req.raw, c.req.path, (work) =>
    c.executionCtx.waitUntil(work),
  );
  c.set("user", user);
  c.set("sessionExpiresAt", sessionExpiresAt);
  await next();
});

/** Route middleware: the caller must hold one of `roles` (System Manager always does), else 403. */
export function requireRole(...roles: Role[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!hasAnyRole(c.get("user"), roles)) throw forbidden(`only a ${roles.join(" or ")} can do this`);
    await next();
  });
}

export { pathParam } from "./schemas";

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string(),
      details: z.unknown(),
    }),
  })
  .openapi("Error");

/** A JSON response for a route's `responses`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const ERRORS = {
  400: "Invalid input",
  401: "Missing or invalid API key",
  403: "Not permitted",
  404: "Not found (or not yours)",
  409: "Not allowed in the current state",
  410: "No longer available",
  413: "Too large",
  429: "Too many requests for this API key (see Retry-After)",
} as const;

/** One error response of the OpenAPI document, with the envelope's schema. */
export const errorResponse = (status: keyof typeof ERRORS, description: string = ERRORS[status]) =>
  json(ErrorEnvelope, description);

/** The error responses every authenticated route can give; spread them, then add 409/410/413. */
export const errorResponses = {
  400: errorResponse(400),
  401: errorResponse(401),
  403: errorResponse(403),
  404: errorResponse(404),
  429: errorResponse(429),
};

/** A list page: `{ data, next_cursor }`. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** `?limit=` for lists. */
export const Limit = z.coerce.number().int().min(1).max(500).default(50);
