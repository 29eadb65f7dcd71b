// demo-frappe: a stand-in Frappe/ERPNext site that Switchyard calls as a remote target (see README.md).
//
// The request path follows frappe/app.py `application`: parse the body into form_dict, run the
// before_request hooks (here: the Standard Webhooks signature check), validate_auth (API key and
// secret), then frappe.api → handler.handle; any exception becomes handle_exception's answer.
import { listCalls, recordCall } from "./calls";
import { executeCmd } from "./dispatch";
import { handleHooks } from "./hooks";
import { Exc, FrappeException, FrappeLocal, REQUEST_FRAMES } from "./frappe";
import { SITE_CODE } from "./myapp";
import { checkSignature, configureSecrets } from "./signature";

/** The site's configuration (wrangler.toml [vars]; secrets via .dev.vars or --var). */
export interface DemoFrappeEnv {
  DEMO_FRAPPE_API_KEY: string;
  DEMO_FRAPPE_API_SECRET: string;
  /** The User the key belongs to: what frappe.auth.get_logged_user answers. */
  DEMO_FRAPPE_USER?: string;
  /** "off" hides `exception`/`exc`, as a site whose allow_error_traceback is unset. */
  DEMO_FRAPPE_TRACEBACKS?: string;
  /** When set (space- or comma-separated during rotation), requests must carry a valid signature. */
  DEMO_FRAPPE_SIGNING_SECRET?: string;
}

/** `/api/method/<cmd>` or `/api/v1/method/<cmd>` → cmd (werkzeug decodes the path; v1 keeps the part before "/"). */
function commandOf(pathname: string): string | null {
  const match = /^\/api(?:\/v1)?\/method\/(.+)$/.exec(pathname);
  if (!match?.[1]) return null;
  let cmd = match[1];
  try {
    cmd = decodeURIComponent(cmd);
  } catch {
    // A malformed %-escape stays as sent; get_attr then reports the command as not found.
  }
  return cmd.split("/")[0] ?? null;
}

/** app.make_form_dict: a JSON body (object, or a list as `data`), else query string and form fields. */
function makeFormDict(local: FrappeLocal, request: Request, url: URL, body: string): Record<string, unknown> {
  const contentType = request.headers.get("content-type") ?? "";
  if (body !== "" && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw new FrappeException(Exc.JSONDecodeError, e instanceof Error ? e.message : "Expecting value", []);
    }
    if (Array.isArray(parsed)) return { data: parsed };
    if (typeof parsed !== "object" || parsed === null) {
      local.throw("Invalid request arguments", Exc.ValidationError, [
        ["apps/frappe/frappe/app.py", 262, "make_form_dict", 'frappe.throw(_("Invalid request arguments"))'],
      ]);
    }
    // jQuery's cache-buster `_` is dropped, as Frappe does.
    return Object.fromEntries(Object.entries(parsed).filter(([key]) => key !== "_"));
  }
  const formDict: Record<string, unknown> = {};
  const fields = /^application\/x-www-form-urlencoded\b/i.test(contentType) ? new URLSearchParams(body) : null;
  for (const params of [url.searchParams, fields]) {
    params?.forEach((value, key) => {
      if (key !== "_" && !(key in formDict)) formDict[key] = value;
    });
  }
  return formDict;
}

/** Equal strings, compared without an early exit (the secret must not leak through timing). */
function sameSecret(a: string, b: string): boolean {
  const [x, y] = [new TextEncoder().encode(a), new TextEncoder().encode(b)];
  return x.length === y.length && crypto.subtle.timingSafeEqual(x, y);
}

/**
 * frappe.auth.validate_auth: `Authorization: token <key>:<secret>` (or `basic` base64 of the same).
 * A two-part header that does not authenticate is AuthenticationError (401, `{"exc_type":
 * "AuthenticationError"}`); no header leaves the request a Guest, whom is_whitelisted refuses (403).
 */
function validateAuth(env: DemoFrappeEnv, local: FrappeLocal, request: Request): void {
  const parts = (request.headers.get("authorization") ?? "").split(" ");
  if (parts.length !== 2) return;
  const [type = "", token = ""] = parts;
  let credentials: string | null = null;
  if (type.toLowerCase() === "token") credentials = token;
  else if (type.toLowerCase() === "basic") {
    try {
      credentials = atob(token);
    } catch {
      local.throw(
        "Failed to decode token, please provide a valid base64-encoded token.",
        { name: "InvalidAuthorizationToken", module: "frappe.exceptions", status: 400 },
        [],
      );
    }
  }
  const pair = credentials?.split(":");
  if (pair?.length === 2) {
    const [key = "", secret = ""] = pair;
    if (!sameSecret(key, env.DEMO_FRAPPE_API_KEY) || !sameSecret(secret, env.DEMO_FRAPPE_API_SECRET)) {
      throw new FrappeException(Exc.AuthenticationError, "", [
        ["apps/frappe/frappe/auth.py", 641, "validate_api_key_secret", "raise frappe.AuthenticationError"],
      ]);
    }
    local.user = env.DEMO_FRAPPE_USER ?? "switchyard@example.com";
    local.systemUser = true;
  }
  if (local.user === "Guest") {
    throw new FrappeException(Exc.AuthenticationError, "", [
      ["apps/frappe/frappe/auth.py", 598, "validate_auth", "raise frappe.AuthenticationError"],
    ]);
  }
}

const PAGES: Readonly<Record<number, readonly [string, string]>> = {
  401: ["Session Expired", "Your session has expired, please login again to continue."],
  403: ["Not Permitted", "You do not have enough permissions to complete the action"],
  404: ["Not Found", "The resource you are looking for is not available"],
};

/** handle_exception's ErrorPage, for a client whose Accept starts with "text" (or a non-API path). */
function errorPage(status: number): Response {
  const [title, message] = PAGES[status] ?? ["Server Error", "Uncaught Exception"];
  const html = `<!DOCTYPE html><html><head><title>${title}</title></head><body><div class="page-card"><h4 class="page-card-head">${title}</h4><p>${message}</p></div></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

/** handle_exception answers JSON when the client asks for it, or on /api/ unless Accept starts with "text". */
function wantsJson(request: Request): boolean {
  const accept = request.headers.get("accept") ?? "";
  const ajax = request.headers.get("x-requested-with") === "XMLHttpRequest";
  return (accept !== "" && (ajax || accept.includes("application/json"))) || !accept.startsWith("text");
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    // Test/demo aids (README): the call log and per-host signing secrets.
    if (url.pathname === "/__calls" && request.method === "GET") return listCalls(url);
    if (url.pathname === "/__signing-secret" && ["PUT", "DELETE"].includes(request.method)) {
      return configureSecrets(request, url);
    }
    const hook = await handleHooks(request, url);
    if (hook) return hook;
    if (!url.pathname.startsWith("/api/")) return errorPage(404);
    const cmd = commandOf(url.pathname);
    const body = await request.text();
    const record = recordCall(request, cmd ?? url.pathname, body);
    const local = new FrappeLocal(env.DEMO_FRAPPE_TRACEBACKS !== "off");
    let response: Response;
    try {
      const formDict = makeFormDict(local, request, url, body);
      await checkSignature({ configured: env.DEMO_FRAPPE_SIGNING_SECRET, local, request, url, cmd, body, record });
      validateAuth(env, local, request);
      if (request.method === "OPTIONS") response = new Response(null);
      else if (cmd === null) throw new FrappeException(Exc.DoesNotExistError, "", REQUEST_FRAMES.slice(0, 2));
      else {
        await executeCmd(SITE_CODE, cmd, formDict, { local, request, record, waitUntil: (p) => ctx.waitUntil(p) });
        response = local.asJson();
      }
    } catch (e) {
      if (!(e instanceof FrappeException)) throw e;
      response = wantsJson(request) ? local.reportError(e) : errorPage(e.cls.status);
    }
    record.status = response.status;
    return response;
  },
} satisfies ExportedHandler<DemoFrappeEnv>;
