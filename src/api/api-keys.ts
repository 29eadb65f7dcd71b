// /api/v1/api-keys (System Manager): create (the secret is shown once), list (with each key's last
// use), revoke (its sessions end with it, and when it was its user's last key, their API schedules stop).
import { createRoute, z } from "@hono/zod-openapi";
import { ApiKey, ApiKeyCreate as CreateBody, NewApiKey } from "../contract/access";
import { and, desc, eq, isNull } from "drizzle-orm";
import { forgetKey } from "../auth/key-cache";
import { borrowsReservedName, generateKeyPair, hashSecret, parseRoles } from "../auth/keys";
import { getDb } from "../db/client";
import { apiKeys, type ApiKeyRow } from "../db/schema";
import { stopSchedulesOfKeyless } from "../schedules/owner";
import { invalid, notFound } from "../shared/errors";
import { toJson } from "../shared/json";
import { errorResponses, json, pathParam, requireRole, router } from "./router";

function keyJson(row: ApiKeyRow) {
  return {
    key: row.key,
    user: row.user,
    roles: parseRoles(row.roles),
    label: row.label,
    created_by: row.createdBy,
    created_at: new Date(row.createdAt).toISOString(),
    revoked_at: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
    last_used_at: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
  };
}

export const apiKeysApi = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "List API keys (System Manager)",
      middleware: [requireRole("System Manager")] as const,
      responses: { 200: json(z.object({ data: z.array(ApiKey), next_cursor: z.null() }), "Keys"), ...errorResponses },
    }),
    async (c) => {
      const rows = await getDb(c.env).select().from(apiKeys).orderBy(desc(apiKeys.createdAt));
      return c.json({ data: rows.map(keyJson), next_cursor: null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary: "Create an API key (System Manager); the secret is only shown in this response",
      middleware: [requireRole("System Manager")] as const,
      request: { body: { required: true, content: { "application/json": { schema: CreateBody } } } },
      responses: { 201: json(NewApiKey, "Created"), ...errorResponses },
    }),
    async (c) => {
      const user = c.get("user");
      const body = c.req.valid("json");
      // Owners are compared by name: a Task User named Administrator would see the admin's work.
      if (borrowsReservedName(body.user, body.roles)) {
        throw invalid("reserved_user", `user ${body.user} is reserved: only a System Manager key may use it`, [
          { path: "user", message: "reserved for System Manager keys" },
        ]);
      }
      const { key, secret } = generateKeyPair();
      const [row] = await getDb(c.env)
        .insert(apiKeys)
        .values({
          key,
          secretHash: await hashSecret(secret),
          user: body.user,
          roles: toJson([...new Set(body.roles)]),
          label: body.label ?? null,
          createdBy: user.name,
          createdAt: Date.now(),
        })
        .returning();
      if (!row) throw new Error("api key insert returned nothing");
      return c.json({ ...keyJson(row), secret, api_key: `${key}:${secret}` }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{key}",
      summary:
        "Revoke an API key (System Manager): refused within KEY_CACHE_TTL_S (≤ 10 s) everywhere, its console sessions with it; when it was its user's last key, their API schedules stop",
      middleware: [requireRole("System Manager")] as const,
      request: { params: z.object({ key: pathParam("key", 64) }) },
      responses: { 204: { description: "Revoked" }, ...errorResponses },
    }),
    async (c) => {
      const { key } = c.req.valid("param");
      const [revoked] = await getDb(c.env)
        .update(apiKeys)
        .set({ revokedAt: Date.now() })
        .where(and(eq(apiKeys.key, key), isNull(apiKeys.revokedAt)))
        .returning({ key: apiKeys.key, user: apiKeys.user });
      if (!revoked) throw notFound(`API key ${key}`);
      forgetKey(c.env, key);
      await stopSchedulesOfKeyless(c.env, revoked.user);
      return c.body(null, 204);
    },
  );
