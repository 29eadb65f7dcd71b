// Reads a Frappe-style API credential (key:secret) from a request: token, Bearer, Basic or ?api_key=.

export interface Credential {
  key: string;
  secret: string;
  /** Set when the credential came from `?api_key=` (allowed on the Power BI read paths only). */
  fromQuery?: true;
}

function split(pair: string): Credential | null {
  const i = pair.indexOf(":");
  if (i <= 0 || i === pair.length - 1) return null;
  return { key: pair.slice(0, i), secret: pair.slice(i + 1) };
}

function decodeBasic(value: string): string | null {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
}

/**
 * The credential the request carries, `null` when it carries none, or `"malformed"` when it
 * carries something that is not a key:secret pair.
 *
 * Accepted: `Authorization: token <key>:<secret>`, `Authorization: Bearer <key>:<secret>`,
 * `Authorization: Basic base64(<key>:<secret>)` (Power BI's Basic credential) and the query
 * parameter `api_key=<key>:<secret>` (Power BI's Web API credential).
 */
export function readCredential(request: Request): Credential | "malformed" | null {
  const header = request.headers.get("authorization");
  if (header) {
    const [scheme = "", ...rest] = header.trim().split(/\s+/);
    const value = rest.join(" ");
    switch (scheme.toLowerCase()) {
      case "token":
      case "bearer":
        return split(value) ?? "malformed";
      case "basic": {
        const decoded = decodeBasic(value);
        return decoded ? (split(decoded) ?? "malformed") : "malformed";
      }
      default:
        return "malformed";
    }
  }
  const query = new URL(request.url).searchParams.get("api_key");
  if (query !== null) {
    const credential = split(query);
    return credential ? { ...credential, fromQuery: true } : "malformed";
  }
  return null;
}

/**
 * The requests that may carry `?api_key=`: reads that Power BI makes with its Web API credential —
 * the Frappe report long-polling paths and report job status and result. A secret in a URL ends up
 * in logs and histories, so everything else (every write) must use the Authorization header.
 */
export function queryCredentialAllowed(method: string, path: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  return (
    path.startsWith("/api/method/tweaks.utils.report_long_polling.") ||
    /^\/api\/v1\/report-jobs\/[^/]+(\/result)?$/.test(path)
  );
}
