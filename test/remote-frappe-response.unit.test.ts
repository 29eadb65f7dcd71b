import { describe, expect, it } from "vitest";
import { parseFrappeResponse, readFrappeResponse } from "../src/remote/frappe-response";
import { errorTextFromBody, htmlToText } from "../src/remote/plain-text";
import * as bodies from "./remote-frappe-bodies";
import { serverMessages, thrown, type FrappeAnswer } from "./remote-frappe-bodies";

const parse = (a: FrappeAnswer) => parseFrappeResponse(a.status, a.contentType, a.body);
const json = (status: number, body: unknown) => parseFrappeResponse(status, "application/json", JSON.stringify(body));

describe("parseFrappeResponse: success", () => {
  it("returns the method's message", () => {
    expect(json(200, { message: { synced: 3, names: ["CUST-1"] } })).toEqual({
      ok: true,
      message: { synced: 3, names: ["CUST-1"] },
    });
  });

  it("returns null when the method returned None (no message key), and ignores informational messages", () => {
    expect(json(200, {})).toEqual({ ok: true, message: null });
    const withToast = { message: "", _server_messages: serverMessages({ message: "Saved", alert: 1 }) };
    expect(json(200, withToast)).toEqual({ ok: true, message: "" });
  });

  it("does not treat a 2xx that is not a JSON object as a result", () => {
    expect(parseFrappeResponse(200, "text/html", "<html><body>Login</body></html>")).toEqual({
      ok: false,
      status: 200,
      excType: null,
      readable: "expected a JSON object from /api/method, got text/html",
    });
    expect(parseFrappeResponse(200, "application/json", "[1,2]")).toMatchObject({ ok: false, status: 200 });
  });
});

describe("parseFrappeResponse: Frappe errors from real bodies", () => {
  it.each([
    ["frappe.throw as System User (417)", bodies.validationError, "ValidationError", "Customer X not found"],
    ["frappe.throw without traceback", bodies.validationErrorNoTraceback, "ValidationError", "Customer X not found"],
    [
      "not whitelisted (403)",
      bodies.permissionError,
      "PermissionError",
      "You are not permitted to access this resource. Login to access Function myapp.api.sync_customer is not whitelisted.",
    ],
    ["missing document (404)", bodies.doesNotExistError, "DoesNotExistError", "Customer CUST-0001 not found"],
    ["Python exception (500)", bodies.pythonError, "ZeroDivisionError", "ZeroDivisionError: division by zero"],
    ["wrong API secret (401)", bodies.authenticationError, "AuthenticationError", "AuthenticationError"],
    ["wrong API secret on v14 (401)", bodies.authenticationErrorV14, "AuthenticationError", "AuthenticationError"],
    ["CSRF token missing (400)", bodies.csrfError, "CSRFTokenError", "Invalid Request"],
    ["API v2 errors", bodies.v2ValidationError, "ValidationError", "Customer X not found"],
  ])("%s", (_title, answer, excType, readable) => {
    expect(parse(answer)).toEqual({ ok: false, status: answer.status, excType, readable });
  });

  it("uses the exception line, then the last traceback line, when there are no messages", () => {
    expect(json(500, { exception: "frappe.exceptions.LinkValidationError: Could not find Item: X" })).toEqual({
      ok: false,
      status: 500,
      excType: "LinkValidationError",
      readable: "LinkValidationError: Could not find Item: X",
    });
    const exc = JSON.stringify(["Traceback (most recent call last):\n  ...\nKeyError: 'customer'\n"]);
    expect(json(500, { exc_type: "KeyError", exc })).toMatchObject({ readable: "KeyError: 'customer'" });
  });

  it("prefers raised messages over informational ones and joins several", () => {
    const body = {
      exc_type: "ValidationError",
      _server_messages: serverMessages(
        { message: "Fetching rates…", title: "Message" },
        thrown("Row 1: Qty is mandatory"),
        thrown(["Row 2: Rate is mandatory", "Row 3: UOM is mandatory"]),
      ),
    };
    expect(json(417, body)).toMatchObject({
      readable: "Row 1: Qty is mandatory; Row 2: Rate is mandatory; Row 3: UOM is mandatory",
    });
  });

  it("falls back to message, _error_message, exc_type and finally the status", () => {
    expect(json(409, { message: "Already <i>running</i>" })).toMatchObject({ readable: "Already running" });
    expect(json(500, { _error_message: "Timeout" })).toMatchObject({ readable: "Timeout" });
    expect(json(503, { exc_type: "SessionStopped" })).toMatchObject({ readable: "SessionStopped" });
    expect(json(503, {})).toEqual({ ok: false, status: 503, excType: null, readable: "HTTP 503" });
  });

  it("never returns markup: tags stripped, entities decoded, escaped tags stripped too", () => {
    const message =
      "Value &lt;5&gt; for &#39;qty&#39; &amp; <a href='/app/item/X'>Item X</a>&#x21; &lt;script&gt;alert(1)&lt;/script&gt;";
    expect(json(417, { _server_messages: serverMessages(thrown(message)) })).toMatchObject({
      readable: "Value <5> for 'qty' & Item X! alert(1)",
    });
  });

  it("collapses whitespace and caps the text at 1,000 characters", () => {
    expect(json(417, { _server_messages: serverMessages(thrown("Line one<br>\n\n   line\ttwo")) })).toMatchObject({
      readable: "Line one line two",
    });
    const long = json(417, { _server_messages: serverMessages(thrown("x".repeat(5000))) });
    if (long.ok) throw new Error("expected an error");
    expect(long.readable).toHaveLength(1000);
    expect(long.readable.endsWith("…")).toBe(true);
  });

  it("tolerates malformed _server_messages and odd exc_type values", () => {
    expect(json(417, { _server_messages: "not json", exception: "ValidationError: bad" })).toMatchObject({
      readable: "ValidationError: bad",
      excType: "ValidationError",
    });
    expect(json(417, { _server_messages: JSON.stringify(["plain text message"]) })).toMatchObject({
      readable: "plain text message",
    });
    expect(json(500, { exc_type: "<script>" })).toMatchObject({ excType: null });
  });
});

describe("parseFrappeResponse: non-JSON pages", () => {
  it("takes the title of an nginx or gunicorn error page, never its markup", () => {
    expect(parse(bodies.nginxBadGateway)).toEqual({
      ok: false,
      status: 502,
      excType: null,
      readable: "502 Bad Gateway",
    });
    expect(parse(bodies.gunicornError)).toEqual({
      ok: false,
      status: 500,
      excType: null,
      readable: "Internal Server Error",
    });
  });

  it("uses the first text of a page without a title, and plain text as is", () => {
    const page = "<!DOCTYPE html><html><body><style>p{}</style><div><p>Service   down</p></div></body></html>";
    expect(parseFrappeResponse(503, "text/html", page)).toMatchObject({ readable: "Service down" });
    expect(parseFrappeResponse(429, "text/plain", "Too many requests\n")).toMatchObject({
      readable: "Too many requests",
    });
    expect(parseFrappeResponse(504, null, "")).toMatchObject({ readable: "HTTP 504" });
  });
});

describe("readFrappeResponse", () => {
  const respond = (answer: FrappeAnswer) =>
    new Response(answer.body, {
      status: answer.status,
      headers: answer.contentType ? { "content-type": answer.contentType } : {},
    });

  it("reads and parses a Response", async () => {
    expect(await readFrappeResponse(respond(bodies.csrfError), 65_536)).toMatchObject({
      excType: "CSRFTokenError",
      readable: "Invalid Request",
    });
    const ok = new Response(JSON.stringify({ message: [1, 2] }), { headers: { "content-type": "application/json" } });
    expect(await readFrappeResponse(ok, 65_536)).toEqual({ ok: true, message: [1, 2] });
  });

  it("never returns a result larger than the cap", async () => {
    const big = new Response(JSON.stringify({ message: "x".repeat(2000) }), { status: 200 });
    expect(await readFrappeResponse(big, 1000)).toEqual({
      ok: false,
      status: 200,
      excType: null,
      readable: "answer larger than 1000 bytes",
    });
  });

  it("still names the exception of an error body cut by the cap", async () => {
    expect(await readFrappeResponse(respond(bodies.validationError), 120)).toEqual({
      ok: false,
      status: 417,
      excType: "ValidationError",
      readable: "ValidationError: Customer X not found",
    });
    const page = new Response(`<html><head><title>Oops</title></head><body>${"y".repeat(500)}</body></html>`, {
      status: 500,
      headers: { "content-type": "text/html" },
    });
    expect(await readFrappeResponse(page, 100)).toMatchObject({ readable: "Oops (answer larger than 100 bytes)" });
  });
});

describe("errorTextFromBody (for http targets)", () => {
  it("reads common JSON error fields", () => {
    expect(errorTextFromBody(422, "application/json", '{"error":{"message":"bad <b>input</b>"}}')).toBe("bad input");
    expect(errorTextFromBody(400, "application/json", '{"error":"invalid_customer"}')).toBe("invalid_customer");
    expect(errorTextFromBody(400, "application/problem+json", '{"title":"Bad","detail":"qty < 0"}')).toBe("qty < 0");
    expect(errorTextFromBody(400, "application/json", '{"code":7}')).toBe('{"code":7}');
  });

  it("htmlToText drops scripts, styles and comments", () => {
    expect(htmlToText("<script>var a='<b>x</b>'</script><!-- secret --><style>.a{}</style><b>Hi</b> there")).toBe(
      "Hi there",
    );
  });
});
