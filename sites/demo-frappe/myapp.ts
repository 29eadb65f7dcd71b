// The site's code: Frappe's built-in methods used here and the demo app "myapp" (myapp/api.py on a bench).
import { MAX_CALLS, postCallback } from "./calls";
import type { Callback, CallRecord } from "./calls";
import type { PyFunction, SiteCode } from "./dispatch";
import { runDocMethod } from "./documents";
import { CALL_FRAMES, Exc, FrappeException, REQUEST_FRAMES, pyType } from "./frappe";
import type { Frame, FrappeLocal } from "./frappe";

const API = "apps/myapp/myapp/api.py";
const inApi = (line: number, fn: string, code: string): Frame[] => [
  ...REQUEST_FRAMES,
  ...CALL_FRAMES,
  [API, line, fn, code],
];

/** frappe.utils.cint-like reading of an integer argument (JSON number or numeric text), bounded. */
function intArg(local: FrappeLocal, name: string, value: unknown, min: number, max: number, fn: string): number {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    local.throw(
      `${name} must be an integer from ${min} to ${max}`,
      Exc.ValidationError,
      inApi(40, fn, "validate_args(...)"),
    );
  }
  return n;
}

/** Calls of `flaky` per task (Switchyard task names are unique, so tests never share a count). */
const flakyCalls = new Map<string, number>();

/** How many times `flaky` has now been called for this task (1 on the first call). */
function countFlakyCall(task: string): number {
  const n = (flakyCalls.get(task) ?? 0) + 1;
  flakyCalls.set(task, n);
  if (flakyCalls.size > MAX_CALLS) {
    const oldest = flakyCalls.keys().next();
    if (oldest.done !== true) flakyCalls.delete(oldest.value);
  }
  return n;
}

/** @frappe.whitelist() def sync_customer(customer): return {"customer": customer, "synced": True} */
const syncCustomer: PyFunction = {
  name: "sync_customer",
  whitelisted: true,
  params: ["customer"],
  run: ({ customer }) => ({ customer, synced: true }),
};

/**
 * @frappe.whitelist() def fail_validation(customer):
 *     frappe.throw(_("Customer {0} not found").format("<b>" + customer + "</b>"))
 * A ValidationError (417) whose message carries HTML, as most ERPNext validation messages do.
 */
const failValidation: PyFunction = {
  name: "fail_validation",
  whitelisted: true,
  params: ["customer"],
  run({ customer }, { local }) {
    const code = 'frappe.throw(_("Customer {0} not found").format("<b>" + customer + "</b>"))';
    if (typeof customer !== "string") {
      // Python's own TypeError from "<b>" + customer: raised, so no message is logged.
      const text = `can only concatenate str (not "${pyType(customer)}") to str`;
      throw new FrappeException(Exc.TypeError, text, inApi(18, "fail_validation", code));
    }
    local.throw(`Customer <b>${customer}</b> not found`, Exc.ValidationError, inApi(18, "fail_validation", code));
  },
};

/**
 * @frappe.whitelist() def flaky(): the first call for a task sets
 * `frappe.local.response.http_status_code = 503` and `frappe.local.response_headers["Retry-After"] = "1"`;
 * later calls return {"attempt": cint(<X-Switchyard-Attempt>)}.
 */
const flaky: PyFunction = {
  name: "flaky",
  whitelisted: true,
  params: [],
  run(_args, { local, request }) {
    const task = request.headers.get("x-switchyard-task") ?? "";
    if (countFlakyCall(task) === 1) {
      local.response.http_status_code = 503;
      local.responseHeaders.set("retry-after", "1");
      return "Temporarily unavailable, try again shortly";
    }
    return { attempt: Number.parseInt(request.headers.get("x-switchyard-attempt") ?? "0", 10) || 0 };
  },
};

/** @frappe.whitelist() def not_permitted(): frappe.throw(_("Not permitted"), frappe.PermissionError) */
const notPermitted: PyFunction = {
  name: "not_permitted",
  whitelisted: true,
  params: [],
  run(_args, { local }) {
    local.throw(
      "Not permitted",
      Exc.PermissionError,
      inApi(64, "not_permitted", 'frappe.throw(_("Not permitted"), frappe.PermissionError)'),
    );
  },
};

/**
 * @frappe.whitelist() def slow(ms=1000): time.sleep(ms / 1000); return {"slept_ms": ms} — a request
 * that holds the connection, for Switchyard's timeout and cancel of a call in flight.
 */
const slow: PyFunction = {
  name: "slow",
  whitelisted: true,
  params: [["ms", 1000]],
  async run(args, { local }) {
    const ms = intArg(local, "ms", args.ms, 0, 600_000, "slow");
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { slept_ms: ms };
  },
};

/**
 * @frappe.whitelist() def moved(location): frappe.local.response["type"] = "redirect" and
 * ["location"] = location — a 302 elsewhere, for Switchyard's never-follow-a-redirect rule.
 */
const moved: PyFunction = {
  name: "moved",
  whitelisted: true,
  params: ["location"],
  run({ location }, { local }) {
    local.response.http_status_code = 302;
    local.responseHeaders.set("location", String(location));
    return undefined;
  },
};

/** A plain function in myapp.api without @frappe.whitelist(): calling it is a 403. */
const internalHelper: PyFunction = { name: "internal_helper", whitelisted: false, params: [], run: () => null };

/** The callback target of this call, from the headers Switchyard sends. */
function callbackOf(local: FrappeLocal, request: Request): Callback {
  const url = request.headers.get("x-switchyard-callback-url");
  const token = request.headers.get("x-switchyard-callback-token");
  if (url === null || token === null) {
    local.throw(
      "X-Switchyard-Callback-URL and X-Switchyard-Callback-Token are required",
      Exc.ValidationError,
      inApi(80, "long_job", "callback = Callback.from_headers(frappe.request.headers)"),
    );
  }
  return { url, token };
}

/**
 * long_job's work after the 202: progress per step, then complete (or fail at `failAt`). The call
 * record says when it is over, so a test can wait for that instead of sleeping.
 */
async function runSteps(
  record: CallRecord,
  callback: Callback,
  steps: number,
  stepMs: number,
  failAt: number | null,
  permanent: boolean,
) {
  record.background = "running";
  try {
    for (let i = 1; i <= steps; i++) {
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      if (i === failAt) {
        await postCallback(record, callback, "fail", { error: `Step ${i} of ${steps} failed`, permanent });
        return;
      }
      const progress = { count: i, total: steps, description: `Step ${i} of ${steps}` };
      const status = await postCallback(record, callback, "progress", progress);
      // 409: canceled, timed out or superseded; 401: not ours any more. Either way, stop working.
      if (status === 409 || status === 401) return;
    }
    await postCallback(record, callback, "complete", { result: { steps, done: true } });
  } finally {
    record.background = "done";
  }
}

/**
 * @frappe.whitelist() def long_job(steps=5, step_ms=200, fail_at=None, permanent=False): answers
 * 202 "accepted" at once (`frappe.local.response.http_status_code = 202`), then reports through
 * Switchyard's callbacks; with `fail_at`, reports `fail` at that step instead of finishing.
 */
const longJob: PyFunction = {
  name: "long_job",
  whitelisted: true,
  params: [
    ["steps", 5],
    ["step_ms", 200],
    ["fail_at", null],
    ["permanent", false],
  ],
  run(args, { local, request, record, waitUntil }) {
    const steps = intArg(local, "steps", args.steps, 1, 1000, "long_job");
    const stepMs = intArg(local, "step_ms", args.step_ms, 0, 60_000, "long_job");
    const failAt = args.fail_at === null ? null : intArg(local, "fail_at", args.fail_at, 1, steps, "long_job");
    const callback = callbackOf(local, request);
    local.response.http_status_code = 202;
    waitUntil(runSteps(record, callback, steps, stepMs, failAt, args.permanent === true));
    return "accepted";
  },
};

/** Every header of the request, as received (the credentials in clear). */
function rawHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

/**
 * @frappe.whitelist() def echo_request(mode="result"): a careless debugging endpoint that hands
 * the request back — its headers, credentials and callback token included — as the result
 * ("result"), in a ValidationError ("error"), or through the callbacks after a 202: in progress
 * and a debug log, then a failure ("callback_fail") or a result ("callback_complete"). What
 * Switchyard keeps of it must not contain a secret.
 */
const echoRequest: PyFunction = {
  name: "echo_request",
  whitelisted: true,
  params: [["mode", "result"]],
  run({ mode }, { local, request, record, waitUntil }) {
    const headers = rawHeaders(request);
    const dump = JSON.stringify(headers);
    const auth = headers.authorization ?? "";
    if (mode === "result") return { headers };
    if (mode === "error") {
      local.throw(`Rejected request ${dump}`, Exc.ValidationError, inApi(120, "echo_request", "frappe.throw(...)"));
    }
    const callback = callbackOf(local, request);
    local.response.http_status_code = 202;
    waitUntil(
      (async () => {
        record.background = "running";
        try {
          const said = `seen ${auth} and ${callback.token}`;
          await postCallback(record, callback, "progress", {
            count: 1,
            total: 2,
            description: said,
            status_message: said,
          });
          if (mode === "callback_fail") {
            await postCallback(record, callback, "fail", {
              error: `gave up on ${dump}`,
              debug_log: dump,
              permanent: true,
            });
          } else {
            await postCallback(record, callback, "complete", { result: { headers }, debug_log: dump });
          }
        } finally {
          record.background = "done";
        }
      })(),
    );
    return "accepted";
  },
};

/** @frappe.whitelist() in frappe/auth.py: the session user (Switchyard's "test connection"). */
const getLoggedUser: PyFunction = {
  name: "get_logged_user",
  whitelisted: true,
  params: [],
  run: (_args, { local }) => local.user,
};

/** frappe.handler.ping, allowed to Guests. */
const ping: PyFunction = { name: "ping", whitelisted: true, allowGuest: true, params: [], run: () => "pong" };

/** Everything importable on this site. */
export const SITE_CODE: SiteCode = {
  installedApps: ["frappe", "erpnext", "myapp"],
  modules: {
    "frappe.auth": { get_logged_user: getLoggedUser },
    "frappe.handler": { ping, run_doc_method: runDocMethod },
    "myapp.api": {
      sync_customer: syncCustomer,
      long_job: longJob,
      fail_validation: failValidation,
      flaky,
      not_permitted: notPermitted,
      slow,
      moved,
      internal_helper: internalHelper,
      echo_request: echoRequest,
    },
  },
  handlerGlobals: { ping, run_doc_method: runDocMethod, runserverobj: runDocMethod },
};
