// Where remote calls may go: validates a target's base URL and builds call URLs that stay on its origin.
import { hostVerdict } from "./host-policy";

export type TargetKind = "frappe" | "http";

/**
 * `allowInsecureLocal` is the local-development switch: it admits `http://` and loopback hosts
 * (127.0.0.0/8, ::1, `localhost`, `*.localhost`). Private, link-local, metadata and other internal
 * ranges stay refused even then: a switch left on by mistake must not open the network behind us.
 */
export interface UrlPolicy {
  allowInsecureLocal: boolean;
}

/** A normalised URL, or the reason it is refused (a sentence fragment, safe to show to an admin). */
export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

export const MAX_BASE_URL_LENGTH = 2048;
const MAX_METHOD_PATH_LENGTH = 512;

const fail = (reason: string): UrlCheck => ({ ok: false, reason });

const FRAPPE_METHOD = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * Why `path` is not a safe relative path (segments of unreserved characters joined by single
 * slashes, no dot segments, no percent-encoding), or null when it is. One spelling per path also
 * keeps one method name per endpoint, so per-method limits cannot be dodged with `a//b` or `a/./b`.
 */
function relativePathProblem(path: string): string | null {
  if (path.startsWith("/")) return "must be relative (no leading '/')";
  if (/[\\%?#@:]/.test(path)) return "must not contain '\\', '%', '?', '#', '@' or ':'";
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return "must not contain empty segments ('//' or a trailing '/')";
  if (segments.some((s) => s === "." || s === "..")) return "must not contain '.' or '..' segments";
  if (!segments.every((s) => PATH_SEGMENT.test(s))) return "may only use letters, digits, '-', '.', '_', '~' and '/'";
  return null;
}

/**
 * Why `path` is not a valid method path for a target of `kind`, or null when it is. `frappe`: a
 * dotted Python path (`myapp.api.sync_customer`); `http`: a relative path (`jobs/sync-customer`).
 */
export function checkMethodPath(kind: TargetKind, path: string): string | null {
  if (path.length === 0 || path.length > MAX_METHOD_PATH_LENGTH) {
    return `must be 1 to ${MAX_METHOD_PATH_LENGTH} characters`;
  }
  if (kind === "frappe") {
    return FRAPPE_METHOD.test(path) ? null : "must be a dotted Python path such as myapp.api.sync_customer";
  }
  return relativePathProblem(path);
}

/**
 * Validates a target's base URL at registration and before every call. Returns the normalised form
 * (lower-case scheme and host, default port dropped, no trailing slash), e.g.
 * `https://erp.example.com` or `https://api.example.com/hooks`, or the reason it is refused:
 * not https (unless the switch), credentials, query or fragment, non-ASCII or control characters,
 * backslashes, and hosts that are loopback, private, link-local, metadata or internal names
 * (see host-policy.ts). Names that merely *resolve* to such addresses are not detectable here.
 */
export function checkBaseUrl(input: string, policy: UrlPolicy): UrlCheck {
  if (input.length === 0 || input.length > MAX_BASE_URL_LENGTH) {
    return fail(`must be 1 to ${MAX_BASE_URL_LENGTH} characters`);
  }
  // The WHATWG parser silently drops tabs and newlines and trims controls, so `loc\thost` would
  // become `localhost` after any check on the raw text; refuse them (and all non-ASCII) up front.
  if (!/^[\x21-\x7e]+$/.test(input)) {
    return fail("must be printable ASCII without spaces or control characters (write IDN hosts as xn--…)");
  }
  if (input.includes("\\")) return fail("must not contain backslashes");
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?!\/)/.exec(input);
  if (!scheme) return fail("must be an absolute URL starting with https://");
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail("is not a valid URL");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowInsecureLocal)) {
    return fail(
      url.protocol === "http:" ? "must use https:// (http:// only with local development on)" : "must use https://",
    );
  }
  const authority = (input.slice(scheme[0].length).split(/[/?#]/)[0] ?? "").toLowerCase();
  if (authority.includes("@") || url.username !== "" || url.password !== "") {
    return fail("must not contain credentials (user@host); set them as the target's credentials");
  }
  if (input.includes("?") || input.includes("#")) return fail("must not contain a query or fragment");
  if (url.port === "0") return fail("must not use port 0");
  const verdict = hostVerdict(url.hostname);
  if (verdict.kind === "refused") return fail(`host ${url.hostname} ${verdict.reason}`);
  if (verdict.kind === "loopback" && !policy.allowInsecureLocal) {
    return fail(`host ${url.hostname} is this machine (loopback), allowed only with local development on`);
  }
  // Percent-encoded hosts (`loca%6chost`) are decoded by the parser; a real host never needs them.
  if (authority.includes("%")) return fail("must not percent-encode the host");
  const rawPath = input.slice(scheme[0].length + authority.length).replace(/\/$/, "");
  if (rawPath !== "") {
    const problem = relativePathProblem(rawPath.slice(1));
    if (problem) return fail(`path ${problem}`);
  }
  return { ok: true, url: `${url.protocol}//${url.host}${rawPath}` };
}

/**
 * The URL to call for method `path` on a target: `{base}/api/method/{dotted.path}` for `frappe`,
 * `{base}/{path}` for `http`. Re-checks the base URL under the current policy (the switch may have
 * been turned off since registration) and proves the result kept the base's origin and path prefix.
 */
export function callUrl(baseUrl: string, kind: TargetKind, path: string, policy: UrlPolicy): UrlCheck {
  const base = checkBaseUrl(baseUrl, policy);
  if (!base.ok) return fail(`base URL ${base.reason}`);
  const problem = checkMethodPath(kind, path);
  if (problem) return fail(`method path ${problem}`);
  const href = `${base.url}${kind === "frappe" ? "/api/method" : ""}/${path}`;
  const url = new URL(href);
  if (url.href !== href || url.origin !== new URL(base.url).origin) return fail("would leave the target's origin");
  return { ok: true, url: href };
}

/** True for 3xx statuses: calls use `redirect: "manual"` and never follow one. */
export function isRedirect(status: number): boolean {
  return status >= 300 && status <= 399;
}

/**
 * An error message for a 3xx answer (null for any other status). The Location is shown as its
 * origin only: paths and queries of redirect targets can carry tokens.
 */
export function describeRedirect(response: Response, requestUrl: string): string | null {
  if (!isRedirect(response.status)) return null;
  const location = response.headers.get("location");
  let where = "without a Location";
  if (location !== null) {
    try {
      const target = new URL(location, requestUrl);
      const origin = target.origin === "null" ? `a ${target.protocol} URL` : target.origin;
      where = target.origin === new URL(requestUrl).origin ? `elsewhere on ${origin}` : `to ${origin}`;
    } catch {
      where = "to an invalid Location";
    }
  }
  return `the target answered ${response.status} redirecting ${where}; redirects are not followed, so register the final URL as the target's base URL`;
}
