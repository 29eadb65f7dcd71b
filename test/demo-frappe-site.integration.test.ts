// The demo-frappe site (the auxiliary Worker every outbound fetch reaches): its answers have Frappe's
// shapes, read through Switchyard's own parser, and it checks Standard Webhooks signatures.
import { describe, expect, it } from "vitest";
import { parseFrappeResponse } from "../src/remote/frappe-response";
import { newSigningSecret, signHeaders } from "../src/remote/signing";
import type { CallRecord } from "../sites/demo-frappe/calls";

const AUTH = "token demo-key:demo-secret";

type Json = Record<string, unknown>;

interface SiteAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

/** `value` as a JSON object (failing the test when it is not one). */
function asObject(value: unknown): Json {
  expect(typeof value === "object" && value !== null && !Array.isArray(value), JSON.stringify(value)).toBe(true);
  return typeof value === "object" && value !== null ? Object.fromEntries(Object.entries(value)) : {};
}

/** POSTs JSON to https://<host>/api/method/<method> with the global fetch (routed to the site). */
async function callSite(
  method: string,
  body: unknown = {},
  options: { host?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<SiteAnswer> {
  const response = await fetch(`https://${options.host ?? "erp.example.com"}/api/method/${method}`, {
    method: "POST",
    headers: {
      authorization: AUTH,
      accept: "application/json",
      "content-type": "application/json",
      ...options.headers,
    },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: asObject(JSON.parse(text)) };
}

/** The parsed `_server_messages`: a JSON string holding a list of JSON strings. */
function serverMessages(body: Json): Json[] {
  expect(typeof body._server_messages).toBe("string");
  const outer: unknown = JSON.parse(String(body._server_messages));
  expect(Array.isArray(outer)).toBe(true);
  return (Array.isArray(outer) ? outer : []).map((entry: unknown) => {
    expect(typeof entry).toBe("string");
    return asObject(JSON.parse(String(entry)));
  });
}

/** GET /__calls?task= on the site. */
async function siteCalls(task: string): Promise<CallRecord[]> {
  const response = await fetch(`https://erp.example.com/__calls?task=${encodeURIComponent(task)}`);
  return (await response.json<{ calls: CallRecord[] }>()).calls;
}

describe("answers, read by Switchyard's Frappe parser", () => {
  it("a whitelisted method's return value is `message`", async () => {
    const answer = await callSite("myapp.api.sync_customer", { customer: "CUST-1" });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.json).toEqual({ message: { customer: "CUST-1", synced: true } });
  });

  it("frappe.throw gives 417 ValidationError with the HTML message in _server_messages", async () => {
    const answer = await callSite("myapp.api.fail_validation", { customer: "CUST-404" });
    expect(answer.status).toBe(417);
    expect(answer.json.exc_type).toBe("ValidationError");
    expect(answer.json.exception).toBe("frappe.exceptions.ValidationError: Customer <b>CUST-404</b> not found");
    expect(JSON.parse(String(answer.json.exc))).toHaveLength(1);
    const [message] = serverMessages(answer.json);
    expect(message).toMatchObject({
      message: "Customer <b>CUST-404</b> not found",
      title: "Message",
      indicator: "red",
      raise_exception: 1,
    });
    expect(message?.__frappe_exc_id).toMatch(/^[0-9a-f]{56}$/);
    expect(parseFrappeResponse(answer.status, "application/json", answer.text)).toEqual({
      ok: false,
      status: 417,
      excType: "ValidationError",
      readable: "Customer CUST-404 not found",
    });
  });

  it("with tracebacks off, an error carries exc_type and _server_messages only", async () => {
    // Same site, but as a Guest (no traceback is ever shown to one): the not-whitelisted answer.
    const answer = await callSite("myapp.api.sync_customer", { customer: "C" }, { headers: { authorization: "" } });
    expect(answer.status).toBe(403);
    expect(Object.keys(answer.json).sort()).toEqual(["_server_messages", "exc_type"]);
    expect(serverMessages(answer.json)[0]).toMatchObject({ title: "Method Not Allowed" });
    expect(parseFrappeResponse(403, "application/json", answer.text)).toMatchObject({
      excType: "PermissionError",
      readable:
        "You are not permitted to access this resource. Login to access Function myapp.api.sync_customer is not whitelisted.",
    });
  });

  it("a wrong API secret is 401 with only exc_type, as validate_api_key_secret raises it", async () => {
    const answer = await callSite(
      "myapp.api.sync_customer",
      { customer: "C" },
      { headers: { authorization: "token demo-key:wrong" } },
    );
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ exc_type: "AuthenticationError" });
    expect(parseFrappeResponse(401, "application/json", answer.text)).toMatchObject({
      readable: "AuthenticationError",
    });
  });

  it("not_permitted is 403 PermissionError", async () => {
    const answer = await callSite("myapp.api.not_permitted");
    expect(answer.status).toBe(403);
    expect(parseFrappeResponse(403, "application/json", answer.text)).toMatchObject({
      excType: "PermissionError",
      readable: "Not permitted",
    });
  });

  it("an unknown method is 417 'Failed to get method for command'", async () => {
    const answer = await callSite("myapp.api.does_not_exist");
    expect(answer.status).toBe(417);
    expect(parseFrappeResponse(417, "application/json", answer.text)).toMatchObject({
      readable:
        "Failed to get method for command myapp.api.does_not_exist with module 'myapp.api' has no attribute 'does_not_exist'",
    });
  });

  it("a missing required argument is Python's TypeError, a 500", async () => {
    const answer = await callSite("myapp.api.sync_customer", {});
    expect(answer.status).toBe(500);
    expect(answer.json.exc_type).toBe("TypeError");
  });

  it("flaky answers 503 with Retry-After: 1 on a task's first call, then the attempt", async () => {
    const first = await callSite(
      "myapp.api.flaky",
      {},
      { headers: { "x-switchyard-task": "flaky-1", "x-switchyard-attempt": "1" } },
    );
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("1");
    const second = await callSite(
      "myapp.api.flaky",
      {},
      { headers: { "x-switchyard-task": "flaky-1", "x-switchyard-attempt": "2" } },
    );
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ message: { attempt: 2 } });
  });

  it("run_doc_method submit answers the submitted document in docs and message", async () => {
    const args = { dt: "Sales Invoice", dn: "ACC-SINV-2025-00001", method: "submit", args: "{}" };
    const answer = await callSite("run_doc_method", args);
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json)).toEqual(["docs", "message"]);
    expect(answer.json.docs).toEqual([answer.json.message]);
    expect(answer.json.message).toMatchObject({ doctype: "Sales Invoice", name: "ACC-SINV-2025-00001", docstatus: 1 });
  });

  it("a missing document is 404 DoesNotExistError; an unknown DocType is a 500 ImportError", async () => {
    const missing = await callSite("run_doc_method", { dt: "Sales Invoice", dn: "SINV-1", method: "submit" });
    expect(missing.status).toBe(404);
    expect(parseFrappeResponse(404, "application/json", missing.text)).toMatchObject({
      excType: "DoesNotExistError",
      readable: "Sales Invoice SINV-1 not found",
    });
    const unknown = await callSite("run_doc_method", { dt: "Nope", dn: "X", method: "submit" });
    expect(unknown.status).toBe(500);
    expect(unknown.json.exc_type).toBe("ImportError");
  });
});

describe("signatures (per-host secret, so test files stay independent)", () => {
  const host = "erp-signed.example.com";
  const secret = newSigningSecret();

  it("refuses unsigned and wrongly signed calls with 401 and accepts a Standard Webhooks signature", async () => {
    const put = await fetch(`https://${host}/__signing-secret`, {
      method: "PUT",
      body: JSON.stringify({ secrets: [secret] }),
    });
    expect(put.status).toBe(200);

    const unsigned = await callSite("myapp.api.sync_customer", { customer: "C" }, { host });
    expect(unsigned.status).toBe(401);
    expect(parseFrappeResponse(401, "application/json", unsigned.text)).toMatchObject({
      excType: "AuthenticationError",
      readable: "Webhook signature rejected (missing-headers)",
    });

    const body = JSON.stringify({ customer: "C" });
    const sign = (secrets: string[]) =>
      signHeaders({ id: "sig-1_1", timestampS: Math.floor(Date.now() / 1000), body, secrets });
    const wrong = await callSite("myapp.api.sync_customer", null, {
      host,
      raw: body,
      headers: await sign([newSigningSecret()]),
    });
    expect(wrong.status).toBe(401);
    expect(serverMessages(wrong.json)[0]?.message).toBe("Webhook signature rejected (no-matching-signature)");

    const headers = { ...(await sign([newSigningSecret(), secret])), "x-switchyard-task": "sig-1" };
    const signed = await callSite("myapp.api.sync_customer", null, { host, raw: body, headers });
    expect(signed.status).toBe(200);
    expect((await siteCalls("sig-1"))[0]?.signature).toBe("valid");

    const check = await callSite("frappe.auth.get_logged_user", {}, { host });
    expect(check.status).toBe(200);
  });
});
