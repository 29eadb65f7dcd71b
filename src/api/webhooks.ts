// /api/v1/webhooks: completion webhook subscriptions. Task Users manage their own (anyone else's
// is 404); System Managers see and manage all. The signing secret is shown once, at creation.
import { createRoute, z } from "@hono/zod-openapi";
import {
  SendTestResult,
  WebhookDelivery,
  WebhookSubscription,
  WebhookSubscriptionPatch,
  WebhookSubscriptionSpec,
  WebhookSubscriptionWithSecret,
} from "../contract/alerts";
import { getDb } from "../db/client";
import { listDeliveries } from "../db/webhooks";
import { deliveryJson } from "../webhooks/delivery-json";
import {
  changeSubscription,
  createSubscription,
  removeSubscription,
  subscriptionJson,
  subscriptionsOf,
  testSubscription,
  visibleSubscription,
} from "../webhooks/manage";
import { nextTimeCursor, parseTimeCursor, TimeCursor } from "./time-cursor";
import { errorResponse, errorResponses, json, Limit, page, pathParam, requireRole, router } from "./router";

const Id = z.object({ id: pathParam("id", 64) });
const body = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

export const webhooksApi = router()
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("Task User")] as const,
      path: "/",
      summary: "List your webhook subscriptions (System Manager: everyone's)",
      responses: { 200: json(page(WebhookSubscription), "Subscriptions"), ...errorResponses },
    }),
    async (c) =>
      c.json({ data: (await subscriptionsOf(c.env, c.get("user"))).map(subscriptionJson), next_cursor: null }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("Task User")] as const,
      path: "/",
      summary: "Subscribe to task and batch ends of a method, an owner or a batch",
      request: body(WebhookSubscriptionSpec),
      responses: {
        201: json(WebhookSubscriptionWithSecret, "Created; signing_secret is shown this once"),
        ...errorResponses,
        409: errorResponse(409, "The user holds the most subscriptions allowed (too_many_subscriptions)"),
      },
    }),
    async (c) => {
      const { row, secret } = await createSubscription(c.env, c.get("user"), c.req.valid("json"));
      c.header("Location", `/api/v1/webhooks/${row.id}`);
      return c.json({ ...subscriptionJson(row), signing_secret: secret }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("Task User")] as const,
      path: "/{id}",
      summary: "Get a webhook subscription",
      request: { params: Id },
      responses: { 200: json(WebhookSubscription, "The subscription"), ...errorResponses },
    }),
    async (c) =>
      c.json(subscriptionJson(await visibleSubscription(c.env, c.get("user"), c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      middleware: [requireRole("Task User")] as const,
      path: "/{id}",
      summary: "Change a webhook subscription (events, url, description, enabled)",
      request: { params: Id, ...body(WebhookSubscriptionPatch) },
      responses: { 200: json(WebhookSubscription, "Changed"), ...errorResponses },
    }),
    async (c) => {
      const row = await changeSubscription(c.env, c.get("user"), c.req.valid("param").id, c.req.valid("json"));
      return c.json(subscriptionJson(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      middleware: [requireRole("Task User")] as const,
      path: "/{id}",
      summary: "Delete a webhook subscription",
      request: { params: Id },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await removeSubscription(c.env, c.get("user"), c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("Task User")] as const,
      path: "/{id}/test",
      summary: "Send a webhook.test event to the subscription now",
      request: { params: Id },
      responses: { 200: json(SendTestResult, "The test delivery after its first attempt"), ...errorResponses },
    }),
    async (c) =>
      c.json({ delivery: deliveryJson(await testSubscription(c.env, c.get("user"), c.req.valid("param").id)) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("Task User")] as const,
      path: "/{id}/deliveries",
      summary: "The subscription's delivery log, newest first",
      request: {
        params: Id,
        query: z.object({
          limit: Limit,
          cursor: TimeCursor,
        }),
      },
      responses: { 200: json(page(WebhookDelivery), "Deliveries"), ...errorResponses },
    }),
    async (c) => {
      const sub = await visibleSubscription(c.env, c.get("user"), c.req.valid("param").id);
      const q = c.req.valid("query");
      const rows = await listDeliveries(
        getDb(c.env),
        { targetId: sub.id, source: "subscription", owner: null },
        q.limit,
        parseTimeCursor(q.cursor),
      );
      const next = nextTimeCursor(rows, q.limit, (r) => [r.createdAt, r.id]);
      return c.json({ data: rows.map(deliveryJson), next_cursor: next }, 200);
    },
  );
