// Resolves and calls /api/method/<cmd> the way frappe.handler.execute_cmd does, errors included.
import { CALL_FRAMES, Exc, FrappeException, REQUEST_FRAMES, bold } from "./frappe";
import type { FrappeLocal } from "./frappe";
import type { CallRecord } from "./calls";

/** What a method gets besides its arguments. */
export interface SiteCall {
  local: FrappeLocal;
  request: Request;
  /** This request's entry in the call log (callbacks are added to it). */
  record: CallRecord;
  /** ctx.waitUntil: work that may continue after the answer (a 202's callbacks). */
  waitUntil: (promise: Promise<unknown>) => void;
}

/** A Python function as Frappe sees it: its module, signature and @frappe.whitelist() flags. */
export interface PyFunction {
  name: string;
  whitelisted: boolean;
  allowGuest?: boolean;
  /** Parameter names; `[name, default]` for optional ones. */
  params: readonly (string | readonly [string, unknown])[];
  run(args: Record<string, unknown>, site: SiteCall): unknown;
}

/** A module: its dotted name and the functions it defines. */
export type PyModule = Readonly<Record<string, PyFunction>>;

/** The site's importable code: module name → functions, plus frappe.handler's globals for bare commands. */
export interface SiteCode {
  installedApps: readonly string[];
  modules: Readonly<Record<string, PyModule>>;
  handlerGlobals: PyModule;
}

const FAILED_TO_GET = "Failed to get method for command {0} with {1}";
const GET_ATTR_FRAME = [
  "apps/frappe/frappe/handler.py",
  79,
  "execute_cmd",
  "frappe.throw(_(" + JSON.stringify(FAILED_TO_GET) + ").format(cmd, str(e)))",
] as const;

/**
 * frappe.get_attr(cmd) inside execute_cmd's try: an unknown command becomes the ValidationError
 * "Failed to get method for command <cmd> with <str(e)>" (417); an app that is not installed
 * logs its own "App <app> is not installed" message first, so `_server_messages` holds both.
 */
function getAttr(code: SiteCode, cmd: string, local: FrappeLocal): { module: string; fn: PyFunction } {
  const fail = (reason: string): never =>
    local.throw(FAILED_TO_GET.replace("{0}", cmd).replace("{1}", reason), Exc.ValidationError, [
      ...REQUEST_FRAMES,
      GET_ATTR_FRAME,
    ]);
  if (!cmd.includes(".")) {
    const fn = code.handlerGlobals[cmd];
    // globals()[cmd] raises KeyError, whose str() is the quoted key.
    return fn === undefined ? fail(`'${cmd}'`) : { module: "frappe.handler", fn };
  }
  const parts = cmd.split(".");
  const app = parts[0] ?? "";
  if (!code.installedApps.includes(app)) {
    try {
      local.throw(`App ${app} is not installed`, Exc.AppNotInstalledError, []);
    } catch (e) {
      if (!(e instanceof FrappeException)) throw e;
      return fail(e.text);
    }
  }
  const moduleName = parts.slice(0, -1).join(".");
  const attr = parts[parts.length - 1] ?? "";
  const module = code.modules[moduleName];
  if (module === undefined) {
    // importlib names the first package on the path that does not exist.
    const packages = new Set(Object.keys(code.modules).flatMap(prefixes));
    const missing = prefixes(moduleName).find((p) => !packages.has(p));
    return fail(
      missing === undefined ? `module '${moduleName}' has no attribute '${attr}'` : `No module named '${missing}'`,
    );
  }
  const fn = module[attr];
  return fn === undefined ? fail(`module '${moduleName}' has no attribute '${attr}'`) : { module: moduleName, fn };
}

/** "a.b.c" → ["a", "a.b", "a.b.c"]. */
function prefixes(dotted: string): string[] {
  const parts = dotted.split(".");
  return parts.map((_, i) => parts.slice(0, i + 1).join("."));
}

/**
 * frappe.is_whitelisted: a function without @frappe.whitelist(), or one a Guest may not call,
 * is a PermissionError (403) titled "Method Not Allowed".
 */
export function isWhitelisted(local: FrappeLocal, module: string, fn: PyFunction): void {
  const isGuest = local.user === "Guest";
  if (fn.whitelisted && !(isGuest && fn.allowGuest !== true)) return;
  const summary = "You are not permitted to access this resource. Login to access";
  const detail = `Function ${bold(`${module}.${fn.name}`)} is not whitelisted.`;
  local.throw(
    `<details><summary>${summary}</summary>${detail}</details>`,
    Exc.PermissionError,
    [
      ...REQUEST_FRAMES,
      ["apps/frappe/frappe/handler.py", 83, "execute_cmd", "is_whitelisted(method)"],
      [
        "apps/frappe/frappe/__init__.py",
        797,
        "is_whitelisted",
        'throw(msg, PermissionError, title=_("Method Not Allowed"))',
      ],
    ],
    "Method Not Allowed",
  );
}

/**
 * frappe.call(fn, **form_dict): keeps only the arguments the function declares (get_newargs)
 * and raises Python's TypeError (500) for a missing required one.
 */
async function callWithArgs(fn: PyFunction, formDict: Record<string, unknown>, site: SiteCall): Promise<unknown> {
  const args: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const param of fn.params) {
    const [name, fallback, required] =
      typeof param === "string" ? [param, undefined, true] : [param[0], param[1], false];
    if (Object.hasOwn(formDict, name)) args[name] = formDict[name];
    else if (required) missing.push(name);
    else args[name] = fallback;
  }
  if (missing.length > 0) {
    const names = missing.map((n) => `'${n}'`).join(" and ");
    const plural = missing.length === 1 ? "argument" : "arguments";
    throw new FrappeException(
      Exc.TypeError,
      `${fn.name}() missing ${missing.length} required positional ${plural}: ${names}`,
      [...REQUEST_FRAMES, ...CALL_FRAMES],
    );
  }
  return await fn.run(args, site);
}

/**
 * frappe.handler.handle for `cmd`: resolve, check the whitelist (run_doc_method checks its own),
 * call, and put a return value other than None in `message`.
 */
export async function executeCmd(code: SiteCode, cmd: string, formDict: Record<string, unknown>, site: SiteCall) {
  const { module, fn } = getAttr(code, cmd, site.local);
  if (fn.name !== "run_doc_method") isWhitelisted(site.local, module, fn);
  const data = await callWithArgs(fn, { ...formDict, cmd }, site);
  if (data !== undefined && data !== null) site.local.response.message = data;
}
