// Receiving Switchyard's webhooks (completion events and alert notices): verify the Standard
// Webhooks signature over the exact body, then trust the event. WebCrypto only, so it runs in
// Node ≥ 22, Workers, Deno, Bun and browsers.

/** A completion event or alert notice as delivered (`type` says which). */
export interface SwitchyardWebhook {
  /** The webhook-id: the same for every attempt of one delivery — drop an id you have already handled. */
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Why a request was refused (the reasons Switchyard's own verifier gives). */
export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
  constructor(
    readonly reason:
      | "missing-headers"
      | "invalid-timestamp"
      | "timestamp-too-old"
      | "timestamp-too-new"
      | "no-matching-signature"
      | "invalid-body",
  ) {
    super(`webhook refused: ${reason}`);
  }
}

const PREFIX = "whsec_";

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function headerOf(headers: Headers | Readonly<Record<string, string | string[] | undefined>>, name: string) {
  if (headers instanceof Headers) return headers.get(name);
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

/**
 * Verifies a delivery and returns its event: the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers present, the timestamp within `toleranceS` (default 300) of now,
 * and a `v1` signature made with `secret` (or one of `secret`s, during a change) over `body` —
 * the raw request body, exactly as received. Throws WebhookVerificationError otherwise.
 */
export async function verifyWebhook(input: {
  headers: Headers | Readonly<Record<string, string | string[] | undefined>>;
  body: string | Uint8Array;
  secret: string | readonly string[];
  toleranceS?: number;
  nowS?: number;
}): Promise<SwitchyardWebhook> {
  const { headers, body, toleranceS = 300, nowS = Math.floor(Date.now() / 1000) } = input;
  const id = headerOf(headers, "webhook-id");
  const timestamp = headerOf(headers, "webhook-timestamp");
  const signature = headerOf(headers, "webhook-signature");
  if (!id || !timestamp || !signature) throw new WebhookVerificationError("missing-headers");
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError("invalid-timestamp");
  if (nowS - Number(timestamp) > toleranceS) throw new WebhookVerificationError("timestamp-too-old");
  if (Number(timestamp) - nowS > toleranceS) throw new WebhookVerificationError("timestamp-too-new");
  const encoder = new TextEncoder();
  const payload = typeof body === "string" ? encoder.encode(body) : body;
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + payload.length);
  content.set(prefix);
  content.set(payload, prefix.length);
  const macs = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => base64ToBytes(s.slice(3)))
    .filter((m): m is Uint8Array<ArrayBuffer> => m !== null && m.length === 32);
  const secrets = typeof input.secret === "string" ? [input.secret] : input.secret;
  for (const secret of secrets) {
    const raw = base64ToBytes(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
    if (raw === null || raw.length < 24 || raw.length > 64)
      throw new RangeError("a signing secret is whsec_ + base64 of 24-64 bytes");
    const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const mac of macs) {
      if (await crypto.subtle.verify("HMAC", key, mac, content)) {
        let event: { type?: unknown; timestamp?: unknown; data?: unknown };
        try {
          event = JSON.parse(typeof body === "string" ? body : new TextDecoder().decode(body)) as typeof event;
        } catch {
          throw new WebhookVerificationError("invalid-body");
        }
        return {
          id,
          type: String(event.type),
          timestamp: String(event.timestamp),
          data: (event.data ?? {}) as Record<string, unknown>,
        };
      }
    }
  }
  throw new WebhookVerificationError("no-matching-signature");
}
