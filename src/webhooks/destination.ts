// Where a notice or event may be posted: the remote-target URL policy (https only, no credentials,
// query or fragment, no private, loopback, link-local or metadata address in any spelling; loopback
// and http:// only with the local-development switch), checked when a URL is saved and again
// before every attempt.
import { checkBaseUrl } from "../remote/url-policy";
import { config } from "../shared/config";
import { invalid } from "../shared/errors";

/** The normalised URL and its origin, or a 400 naming the `url` field and why it is refused. */
export function checkedDestination(env: Env, url: string): { url: string; origin: string } {
  const checked = checkBaseUrl(url, { allowInsecureLocal: config(env).remoteAllowInsecureLocal });
  if (!checked.ok) throw invalid("url_refused", `url ${checked.reason}`, [{ path: "url", message: checked.reason }]);
  return { url: checked.url, origin: new URL(checked.url).origin };
}
