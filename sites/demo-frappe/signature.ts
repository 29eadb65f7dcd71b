// The demo app's before_request hook: Standard Webhooks signature check, plus its test-aid override.
import { SigningSecretError, verify } from "../../src/remote/signing";
import type { CallRecord } from "./calls";
import { Exc, FrappeException } from "./frappe";
import type { FrappeLocal } from "./frappe";

/**
 * Secrets set at run time per host (PUT /__signing-secret), replacing DEMO_FRAPPE_SIGNING_SECRET.
 * Per host because one site instance serves every test file of a vitest run: each file can point
 * its target at its own hostname (erp-a.example.com, …) and configure it without touching others.
 */
const overrides = new Map<string, string[]>();

/** PUT /__signing-secret `{"secrets": ["whsec_…"]}` ([] = check nothing); DELETE drops the override. */
export async function configureSecrets(request: Request, url: URL): Promise<Response> {
  if (request.method === "DELETE") {
    overrides.delete(url.host);
    return Response.json({ ok: true });
  }
  const body: unknown = await request.json().catch(() => null);
  const secrets = typeof body === "object" && body !== null && "secrets" in body ? body.secrets : null;
  if (!Array.isArray(secrets) || !secrets.every((s) => typeof s === "string")) {
    return Response.json({ error: 'expected {"secrets": ["whsec_…"]}' }, { status: 400 });
  }
  overrides.set(url.host, secrets);
  return Response.json({ ok: true, host: url.host, secrets: secrets.length });
}

/** The secrets in force for this host: the override, else the space- or comma-separated variable. */
function secretsFor(host: string, configured: string | undefined): string[] {
  return overrides.get(host) ?? (configured ?? "").split(/[\s,]+/).filter((s) => s !== "");
}

/**
 * Requires a valid Standard Webhooks signature over the exact body when secrets are set —
 * except on an unsigned frappe.auth.get_logged_user, which a connection test may send without
 * one. A bad signature is frappe.throw(…, frappe.AuthenticationError): 401 with the reason in
 * `_server_messages`.
 */
export async function checkSignature(input: {
  configured: string | undefined;
  local: FrappeLocal;
  request: Request;
  url: URL;
  cmd: string | null;
  body: string;
  record: CallRecord;
}): Promise<void> {
  const { local, request, cmd, body, record } = input;
  const secrets = secretsFor(input.url.host, input.configured);
  if (secrets.length === 0) return;
  if (cmd === "frappe.auth.get_logged_user" && !request.headers.has("webhook-signature")) return;
  let result: Awaited<ReturnType<typeof verify>>;
  try {
    result = await verify({ headers: request.headers, body, secrets, nowS: Math.floor(Date.now() / 1000) });
  } catch (e) {
    if (!(e instanceof SigningSecretError)) throw e;
    throw new FrappeException(Exc.ValueError, `signing secret: ${e.message}`, []);
  }
  record.signature = result.ok ? "valid" : "invalid";
  if (!result.ok) {
    local.throw(`Webhook signature rejected (${result.reason})`, Exc.AuthenticationError, [
      [
        "apps/myapp/myapp/hooks.py",
        21,
        "verify_signature",
        'frappe.throw(_("Webhook signature rejected ({0})").format(reason), frappe.AuthenticationError)',
      ],
    ]);
  }
}
