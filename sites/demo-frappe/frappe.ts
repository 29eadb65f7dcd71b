// Frappe's request/response model for /api/method, as frappe/app.py, handler.py and utils/response.py build it.
//
// What a real site (v15/develop) answers, and so what this stand-in answers:
// - success: `{"message": <return value>}` (no `message` key when the method returned None), plus
//   `docs` when a document method ran; status 200 unless the method set
//   `frappe.local.response.http_status_code`; `Content-Type: application/json`, compact JSON.
// - an exception: `app.handle_exception` → `report_error(e.http_status_code or 500)` for /api/ paths,
//   giving `exc_type` (the class name), and only when tracebacks are allowed (a System User, the
//   "allow_error_traceback" setting, status not 404) `exception` (the traceback's last line), `exc`
//   (a JSON string of a list of tracebacks) and `_exc_source`. `_server_messages` is a JSON string of
//   a list of JSON strings, one per msgprint/throw: `{message, title, indicator, raise_exception,
//   __frappe_exc_id}`; `_error_message` carries `frappe.flags.error_message`.

/** An exception class: its name, the module Python prints before it, and its http_status_code. */
export interface ExceptionClass {
  name: string;
  module: string;
  status: number;
}

const frappeError = (name: string, status: number): ExceptionClass => ({
  name,
  module: "frappe.exceptions",
  status,
});
// Python's own exceptions carry no http_status_code, so Frappe answers them with 500.
const builtin = (name: string, module = ""): ExceptionClass => ({ name, module, status: 500 });

/** The classes the stand-in raises (frappe/exceptions.py for the http_status_code values). */
export const Exc = {
  ValidationError: frappeError("ValidationError", 417),
  AuthenticationError: frappeError("AuthenticationError", 401),
  PermissionError: frappeError("PermissionError", 403),
  DoesNotExistError: frappeError("DoesNotExistError", 404),
  AppNotInstalledError: frappeError("AppNotInstalledError", 417),
  DocstatusTransitionError: frappeError("DocstatusTransitionError", 417),
  ImportError: builtin("ImportError"),
  AttributeError: builtin("AttributeError"),
  TypeError: builtin("TypeError"),
  ValueError: builtin("ValueError"),
  JSONDecodeError: builtin("JSONDecodeError", "json.decoder"),
} as const;

/** One traceback frame: `File "<file>", line <line>, in <fn>` followed by its source line. */
export type Frame = readonly [file: string, line: number, fn: string, code: string];

/** A raised Python exception travelling up to app.handle_exception. */
export class FrappeException extends Error {
  constructor(
    readonly cls: ExceptionClass,
    /** str(exception): what follows the class name on the traceback's last line. */
    readonly text: string,
    /** Where it was raised, outermost first (after the request handling frames). */
    readonly frames: readonly Frame[],
  ) {
    super(text === "" ? cls.name : `${cls.name}: ${text}`);
    this.name = "FrappeException";
  }
}

/** What one request accumulates (frappe.local): the session user, messages, the response dict. */
export class FrappeLocal {
  user = "Guest";
  /** Whether the user is a System User (tracebacks are only shown to them). */
  systemUser = false;
  readonly messageLog: Record<string, string | number>[] = [];
  /** frappe.local.response: `message`, `docs`, `http_status_code`, … in insertion order. */
  readonly response: Record<string, unknown> = { docs: [] };
  readonly responseHeaders = new Headers();
  errorMessage: string | null = null;

  constructor(private readonly tracebacksOn: boolean) {}

  /**
   * frappe.throw(msg, exc, title): logs the message for `_server_messages` and raises. The
   * `__frappe_exc_id` is 56 hex characters, as frappe.generate_hash() makes it.
   */
  throw(message: string, cls: ExceptionClass, frames: readonly Frame[], title = "Message"): never {
    const id = [...crypto.getRandomValues(new Uint8Array(28))].map((b) => b.toString(16).padStart(2, "0")).join("");
    this.messageLog.push({ message, title, indicator: "red", raise_exception: 1, __frappe_exc_id: id });
    throw new FrappeException(cls, message, [...frames, ...THROW_FRAMES]);
  }

  /** build_response("json"): drops empty `docs`, applies `http_status_code`, adds the logs. */
  asJson(): Response {
    const body = { ...this.response };
    if (Array.isArray(body.docs) && body.docs.length === 0) delete body.docs;
    const status = typeof body.http_status_code === "number" ? body.http_status_code : 200;
    delete body.http_status_code;
    if (this.messageLog.length > 0) {
      body._server_messages = JSON.stringify(this.messageLog.map((m) => JSON.stringify(m)));
    }
    if (this.errorMessage !== null) body._error_message = this.errorMessage;
    return jsonResponse(status, body, this.responseHeaders);
  }

  /** app.handle_exception → utils.response.report_error for an /api/ request that wants JSON. */
  reportError(e: FrappeException): Response {
    const status = e.cls.status;
    const allowTraceback = this.tracebacksOn && this.systemUser && status !== 404;
    if (allowTraceback) {
      const traceback = formatTraceback(e);
      this.response.exception = traceback.trimEnd().split("\n").pop() ?? "";
      this.response.exc_type = e.cls.name;
      // make_logs (v1): the source app guessed from the frames, then the tracebacks errprint logged.
      const app = [...e.frames]
        .reverse()
        .find(([file]) => !file.startsWith("apps/frappe/"))?.[0]
        .split("/")[1];
      if (app !== undefined) this.response._exc_source = `${app} (app)`;
      this.response.exc = JSON.stringify([traceback]);
    } else {
      this.response.exc_type = e.cls.name;
    }
    this.response.http_status_code = status;
    return this.asJson();
  }
}

/** Compact JSON, `application/json` without a charset, and Frappe's default no-cache header. */
export function jsonResponse(status: number, body: unknown, headers = new Headers()): Response {
  const out = new Headers(headers);
  out.set("content-type", "application/json");
  if (!out.has("cache-control")) out.set("cache-control", "no-store,no-cache,must-revalidate,max-age=0");
  return new Response(JSON.stringify(body), { status, headers: out });
}

/** Python's type name of a JSON value, for TypeError texts. */
export function pyType(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return Array.isArray(value) ? "list" : "dict";
}

/** frappe.bold(text). */
export const bold = (text: string): string => `<strong>${text}</strong>`;

// Frames of the request path every /api/method call goes through (line numbers illustrative).
export const REQUEST_FRAMES: readonly Frame[] = [
  ["apps/frappe/frappe/app.py", 115, "application", "response = frappe.api.handle(request)"],
  ["apps/frappe/frappe/api/__init__.py", 49, "handle", "data = endpoint(**arguments)"],
  ["apps/frappe/frappe/api/v1.py", 36, "handle_rpc_call", "return frappe.handler.handle()"],
  ["apps/frappe/frappe/handler.py", 51, "handle", "data = execute_cmd(cmd)"],
];
/** execute_cmd calling the method through frappe.call. */
export const CALL_FRAMES: readonly Frame[] = [
  ["apps/frappe/frappe/handler.py", 85, "execute_cmd", "return frappe.call(method, **frappe.form_dict)"],
  ["apps/frappe/frappe/__init__.py", 1742, "call", "return fn(*args, **newargs)"],
];
const THROW_FRAMES: readonly Frame[] = [
  ["apps/frappe/frappe/utils/messages.py", 148, "throw", "msgprint("],
  ["apps/frappe/frappe/utils/messages.py", 106, "msgprint", "_raise_exception()"],
  ["apps/frappe/frappe/utils/messages.py", 57, "_raise_exception", "raise exc"],
];

/** frappe.utils.get_traceback(): Python's format_exception with the bench path stripped. */
function formatTraceback(e: FrappeException): string {
  const frames = e.frames.map(([file, line, fn, code]) => `  File "${file}", line ${line}, in ${fn}\n    ${code}\n`);
  const qualified = e.cls.module === "" ? e.cls.name : `${e.cls.module}.${e.cls.name}`;
  const last = e.text === "" ? qualified : `${qualified}: ${e.text}`;
  return `Traceback (most recent call last):\n${frames.join("")}${last}\n`;
}
