// Frappe /api/method answers as real sites send them, built the way Frappe builds them.
//
// Sources (frappe/frappe, v15/develop): frappe/app.py handle_exception (JSON for /api/ paths),
// frappe/utils/response.py report_error (exception = last traceback line when tracebacks are
// allowed for the user, exc_type = class name) and _make_logs_v1 (exc = orjson list of tracebacks,
// _server_messages = orjson list of orjson-encoded message dicts), frappe/utils/messages.py
// msgprint/throw (message, title, indicator, raise_exception, __frappe_exc_id), frappe/exceptions.py
// (ValidationError 417, AuthenticationError 401, PermissionError 403, DoesNotExistError 404,
// CSRFTokenError 400), frappe/__init__.py is_whitelisted, frappe/auth.py validate_csrf_token and
// validate_api_key_secret, frappe/model/document.py load_from_db.

/** A response under test: status, Content-Type and body text. */
export interface FrappeAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

const JSON_TYPE = "application/json";

/** `_server_messages` exactly as `_make_logs_v1` encodes `frappe.local.message_log`. */
export function serverMessages(...messages: Record<string, unknown>[]): string {
  return JSON.stringify(messages.map((m) => JSON.stringify(m)));
}

/** A `frappe.throw(msg, exc)` entry of the message log. */
export function thrown(message: string | string[], title = "Message"): Record<string, unknown> {
  return { message, title, indicator: "red", raise_exception: 1, __frappe_exc_id: "9f0c3b5a1e" };
}

function traceback(calls: string, last: string): string {
  return [
    "Traceback (most recent call last):",
    '  File "apps/frappe/frappe/app.py", line 115, in application',
    "    response = frappe.api.handle(request)",
    '  File "apps/frappe/frappe/api/__init__.py", line 49, in handle',
    "    data = endpoint(**arguments)",
    '  File "apps/frappe/frappe/handler.py", line 86, in execute_cmd',
    "    return frappe.call(method, **frappe.form_dict)",
    calls,
    last,
    "",
  ].join("\n");
}

const answer = (status: number, body: unknown): FrappeAnswer => ({
  status,
  contentType: JSON_TYPE,
  body: JSON.stringify(body),
});

const THROW_CALLS = [
  '  File "apps/myapp/myapp/api.py", line 12, in sync_customer',
  '    frappe.throw("Customer <b>X</b> not found")',
  '  File "apps/frappe/frappe/utils/messages.py", line 148, in throw',
  "    msgprint(",
  '  File "apps/frappe/frappe/utils/messages.py", line 56, in _raise_exception',
  "    raise exc",
].join("\n");

/** `frappe.throw("Customer <b>X</b> not found")` seen by a System User with tracebacks allowed. */
export const validationError = answer(417, {
  exception: "frappe.exceptions.ValidationError: Customer <b>X</b> not found",
  exc_type: "ValidationError",
  _exc_source: "myapp (app)",
  exc: JSON.stringify([traceback(THROW_CALLS, "frappe.exceptions.ValidationError: Customer <b>X</b> not found")]),
  _server_messages: serverMessages(thrown("Customer <b>X</b> not found")),
});

/** The same throw for an API user who is not a System User: no traceback fields. */
export const validationErrorNoTraceback = answer(417, {
  exc_type: "ValidationError",
  _server_messages: serverMessages(thrown("Customer <b>X</b> not found")),
});

/** Calling a method that is not whitelisted (frappe/__init__.py is_whitelisted). */
export const permissionError = answer(403, {
  exc_type: "PermissionError",
  _server_messages: serverMessages(
    thrown(
      "<details><summary>You are not permitted to access this resource. Login to access</summary>" +
        "Function <strong>myapp.api.sync_customer</strong> is not whitelisted.</details>",
      "Method Not Allowed",
    ),
  ),
});

/** `frappe.get_doc("Customer", "CUST-0001")` on a missing record; 404s never carry tracebacks. */
export const doesNotExistError = answer(404, {
  exc_type: "DoesNotExistError",
  _server_messages: serverMessages(thrown("Customer CUST-0001 not found")),
});

const ZERO_CALLS = '  File "apps/myapp/myapp/api.py", line 20, in sync_customer\n    return 1 / 0';

/** An unexpected Python exception (`1 / 0`) seen by a System User: traceback fields only. */
export const pythonError = answer(500, {
  exception: "ZeroDivisionError: division by zero",
  exc_type: "ZeroDivisionError",
  _exc_source: "myapp (app)",
  exc: JSON.stringify([traceback(ZERO_CALLS, "ZeroDivisionError: division by zero")]),
});

/** A wrong API secret: `validate_api_key_secret` raises a bare AuthenticationError for Guest. */
export const authenticationError = answer(401, { exc_type: "AuthenticationError" });

/** The same on Frappe v14, which had no `exc_type` but sent the traceback to everyone. */
export const authenticationErrorV14 = answer(401, {
  exception: "frappe.exceptions.AuthenticationError",
  exc: JSON.stringify([traceback("", "frappe.exceptions.AuthenticationError")]),
});

/** A session-cookie request without the CSRF token, verbatim as on the wire. */
export const csrfError: FrappeAnswer = {
  status: 400,
  contentType: JSON_TYPE,
  body: String.raw`{"exc_type":"CSRFTokenError","_server_messages":"[\"{\\\"message\\\":\\\"Invalid Request\\\",\\\"title\\\":\\\"Message\\\",\\\"indicator\\\":\\\"red\\\",\\\"raise_exception\\\":1,\\\"__frappe_exc_id\\\":\\\"5d2b6c1e0f\\\"}\"]"}`,
};

/** nginx in front of a stopped gunicorn. */
export const nginxBadGateway: FrappeAnswer = {
  status: 502,
  contentType: "text/html",
  body:
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n",
};

/** gunicorn's own answer when the worker crashed before Frappe could respond. */
export const gunicornError: FrappeAnswer = {
  status: 500,
  contentType: "text/html",
  body:
    "<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n" +
    "    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n",
};

/** API v2 (`/api/v2/method/...`) error shape. */
export const v2ValidationError = answer(417, {
  errors: [{ type: "ValidationError", message: "Customer <b>X</b> not found", title: "Message", indicator: "red" }],
});
