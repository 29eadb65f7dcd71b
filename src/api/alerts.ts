// /api/v1/alerts: alert rules, channels, incidents and the notices' delivery log (System Managers).
// Channel URLs are write-only (shown as their origin); a webhook channel's signing secret is shown
// once, in the answer that created it.
import { createRoute, z } from "@hono/zod-openapi";
import {
  AlertChannel,
  AlertChannelPatch,
  AlertChannelSpec,
  AlertChannelWithSecret,
  AlertIncident,
  AlertRule,
  AlertRulePatch,
  AlertRuleSpec,
  SendTestResult,
  WebhookDelivery,
} from "../contract/alerts";
import {
  changeChannel,
  changeRule,
  channelJson,
  createChannel,
  createRule,
  incidentJson,
  removeChannel,
  removeRule,
  ruleJson,
  testChannel,
  visibleChannel,
  visibleRule,
} from "../alerts/manage";
import { firingIncidents, listChannels, listIncidents, listRules } from "../db/alerts";
import { getDb } from "../db/client";
import { listDeliveries } from "../db/webhooks";
import { deliveryJson } from "../webhooks/delivery-json";
import { nextTimeCursor, parseTimeCursor, TimeCursor } from "./time-cursor";
import { errorResponse, errorResponses, json, Limit, page, pathParam, requireRole, router } from "./router";

const Id = z.object({ id: pathParam("id", 64) });
const body = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

export const alertsApi = router()
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/rules",
      summary: "List alert rules",
      responses: { 200: json(page(AlertRule), "Rules"), ...errorResponses },
    }),
    async (c) => {
      const db = getDb(c.env);
      const [rules, open] = await Promise.all([listRules(db), firingIncidents(db)]);
      const firing = (id: string) => open.filter((i) => i.ruleId === id).length;
      return c.json({ data: rules.map((r) => ruleJson(r, firing(r.id))), next_cursor: null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("System Manager")] as const,
      path: "/rules",
      summary: "Create an alert rule",
      request: body(AlertRuleSpec),
      responses: { 201: json(AlertRule, "Created"), ...errorResponses },
    }),
    async (c) => {
      const row = await createRule(c.env, c.get("user"), c.req.valid("json"));
      c.header("Location", `/api/v1/alerts/rules/${row.id}`);
      return c.json(ruleJson(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/rules/{id}",
      summary: "Get an alert rule",
      request: { params: Id },
      responses: { 200: json(AlertRule, "The rule"), ...errorResponses },
    }),
    async (c) => {
      const row = await visibleRule(c.env, c.req.valid("param").id);
      const open = await firingIncidents(getDb(c.env));
      return c.json(ruleJson(row, open.filter((i) => i.ruleId === row.id).length), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      middleware: [requireRole("System Manager")] as const,
      path: "/rules/{id}",
      summary: "Change an alert rule (mute with muted_until, switch off with enabled: false)",
      request: { params: Id, ...body(AlertRulePatch) },
      responses: { 200: json(AlertRule, "Changed"), ...errorResponses },
    }),
    async (c) => {
      const row = await changeRule(c.env, c.get("user"), c.req.valid("param").id, c.req.valid("json"));
      return c.json(ruleJson(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      middleware: [requireRole("System Manager")] as const,
      path: "/rules/{id}",
      summary: "Delete an alert rule and its incidents",
      request: { params: Id },
      responses: { 204: { description: "Deleted" }, ...errorResponses },
    }),
    async (c) => {
      await removeRule(c.env, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/channels",
      summary: "List alert channels (URLs as their origin only)",
      responses: { 200: json(page(AlertChannel), "Channels"), ...errorResponses },
    }),
    async (c) => c.json({ data: (await listChannels(getDb(c.env))).map(channelJson), next_cursor: null }, 200),
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("System Manager")] as const,
      path: "/channels",
      summary: "Create an alert channel (webhook, slack or email)",
      request: body(AlertChannelSpec),
      responses: {
        201: json(AlertChannelWithSecret, "Created; a webhook's signing_secret is shown this once"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { row, secret } = await createChannel(c.env, c.get("user"), c.req.valid("json"));
      c.header("Location", `/api/v1/alerts/channels/${row.id}`);
      return c.json({ ...channelJson(row), ...(secret === null ? {} : { signing_secret: secret }) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/channels/{id}",
      summary: "Get an alert channel",
      request: { params: Id },
      responses: { 200: json(AlertChannel, "The channel"), ...errorResponses },
    }),
    async (c) => c.json(channelJson(await visibleChannel(c.env, c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      middleware: [requireRole("System Manager")] as const,
      path: "/channels/{id}",
      summary: "Change an alert channel",
      request: { params: Id, ...body(AlertChannelPatch) },
      responses: { 200: json(AlertChannel, "Changed"), ...errorResponses },
    }),
    async (c) => c.json(channelJson(await changeChannel(c.env, c.req.valid("param").id, c.req.valid("json"))), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      middleware: [requireRole("System Manager")] as const,
      path: "/channels/{id}",
      summary: "Delete an alert channel no rule uses",
      request: { params: Id },
      responses: {
        204: { description: "Deleted" },
        ...errorResponses,
        409: errorResponse(409, "Rules use it (channel_in_use)"),
      },
    }),
    async (c) => {
      await removeChannel(c.env, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      middleware: [requireRole("System Manager")] as const,
      path: "/channels/{id}/test",
      summary: "Send a test notice to the channel now",
      request: { params: Id },
      responses: { 200: json(SendTestResult, "The test delivery after its first attempt"), ...errorResponses },
    }),
    async (c) => c.json({ delivery: deliveryJson(await testChannel(c.env, c.req.valid("param").id)) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/incidents",
      summary: "Incidents, newest first",
      request: {
        query: z.object({
          rule: z.string().max(64).optional(),
          state: z.enum(["firing", "resolved"]).optional(),
          limit: Limit,
          cursor: TimeCursor,
        }),
      },
      responses: { 200: json(page(AlertIncident), "Incidents"), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await listIncidents(
        getDb(c.env),
        { ruleId: q.rule ?? null, state: q.state ?? null },
        q.limit,
        parseTimeCursor(q.cursor),
      );
      const next = nextTimeCursor(rows, q.limit, (r) => [r.detectedAt, r.id]);
      return c.json({ data: rows.map(incidentJson), next_cursor: next }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      middleware: [requireRole("System Manager")] as const,
      path: "/deliveries",
      summary: "The notices' delivery log, newest first",
      request: { query: z.object({ channel: z.string().max(64).optional(), limit: Limit, cursor: TimeCursor }) },
      responses: { 200: json(page(WebhookDelivery), "Deliveries"), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await listDeliveries(
        getDb(c.env),
        { targetId: q.channel ?? null, source: "alert", owner: null },
        q.limit,
        parseTimeCursor(q.cursor),
      );
      const next = nextTimeCursor(rows, q.limit, (r) => [r.createdAt, r.id]);
      return c.json({ data: rows.map(deliveryJson), next_cursor: next }, 200);
    },
  );
