// /api/v1/remote-targets: the Frappe sites and HTTPS endpoints that run remote methods. System
// Managers only. Secrets are write-only: a generated signing secret is shown once, in the answer
// that created (or rotated) it.
import { createRoute, z } from "@hono/zod-openapi";
import {
  RemoteTarget,
  RemoteTargetTest as TestAnswer,
  RemoteTargetWithSecret as WithSecret,
} from "../contract/remote-targets";
import { getDb } from "../db/client";
import { listTargets } from "../db/remote-targets";
import { TargetSpec } from "../remote/target-spec";
import {
  defineTarget,
  removeTarget,
  rotateSigningSecret,
  targetJson,
  testTarget,
  visibleTarget,
} from "../remote/targets";
import { errorResponse, errorResponses, json, pathParam, requireRole, router } from "./router";

const Name = z.object({ name: pathParam("name", 40, "erp") });

const RotateBody = z.strictObject({
  signing_secret: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Bring your own; else one is generated" }),
  grace: z
    .int()
    .min(0)
    .max(30 * 86_400)
    .optional()
    .openapi({ description: "Seconds the previous secret keeps signing (default REMOTE_ROTATION_GRACE_S)" }),
});

export const remoteTargetsApi = router()
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/",
      summary: "List remote targets (no secrets)",
      responses: {
        200: json(z.object({ data: z.array(RemoteTarget), next_cursor: z.null() }), "Targets"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const rows = await listTargets(getDb(c.env));
      const data = await Promise.all(rows.map((row) => targetJson(c.env, row)));
      return c.json({ data, next_cursor: null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/{name}",
      summary: "Get a remote target (no secrets)",
      request: { params: Name },
      responses: { 200: json(RemoteTarget, "The target"), ...errorResponses },
    }),
    async (c) => c.json(await targetJson(c.env, await visibleTarget(c.env, c.req.valid("param").name)), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      middleware: [requireRole("System Manager")] as const,
      path: "/{name}",
      summary: "Create or replace a remote target",
      request: { params: Name, body: { required: true, content: { "application/json": { schema: TargetSpec } } } },
      responses: {
        201: json(WithSecret, "Created; signing_secret is shown this once"),
        200: json(RemoteTarget, "Replaced"),
        ...errorResponses,
        409: errorResponse(409, "Created by another request meanwhile"),
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const { row, created, signingSecret } = await defineTarget(c.env, c.get("user"), name, c.req.valid("json"));
      const body = await targetJson(c.env, row);
      if (!created) return c.json(body, 200);
      c.header("Location", `/api/v1/remote-targets/${name}`);
      return c.json({ ...body, ...(signingSecret === null ? {} : { signing_secret: signingSecret }) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      middleware: [requireRole("System Manager")] as const,
      path: "/{name}",
      summary: "Delete a remote target",
      request: {
        params: Name,
        query: z.object({
          force: z
            .enum(["true", "false"])
            .optional()
            .openapi({ description: "true: delete even while live tasks use it (they then fail)" }),
        }),
      },
      responses: {
        204: { description: "Deleted" },
        ...errorResponses,
        409: errorResponse(409, "Live tasks run its methods (target_in_use)"),
      },
    }),
    async (c) => {
      await removeTarget(c.env, c.req.valid("param").name, c.req.valid("query").force === "true");
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("System Manager")] as const,
      path: "/{name}/rotate-signing-secret",
      summary: "Rotate the signing secret (the previous one keeps signing for a grace period)",
      request: { params: Name, body: { required: false, content: { "application/json": { schema: RotateBody } } } },
      responses: {
        200: json(WithSecret, "Rotated; a generated signing_secret is shown this once"),
        ...errorResponses,
        409: errorResponse(409, "Rotated by another request meanwhile"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { row, signingSecret } = await rotateSigningSecret(c.env, c.req.valid("param").name, {
        ...(body.signing_secret === undefined ? {} : { secret: body.signing_secret }),
        ...(body.grace === undefined ? {} : { graceMs: body.grace * 1000 }),
      });
      const answer = await targetJson(c.env, row);
      return c.json({ ...answer, ...(signingSecret === null ? {} : { signing_secret: signingSecret }) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("System Manager")] as const,
      path: "/{name}/test",
      summary: "Check the target answers and accepts our credentials (Frappe: frappe.auth.get_logged_user)",
      request: { params: Name },
      responses: { 200: json(TestAnswer, "What the test found (ok false: see message)"), ...errorResponses },
    }),
    async (c) => c.json(await testTarget(c.env, c.req.valid("param").name), 200),
  );
