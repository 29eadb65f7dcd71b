// The API's contract for remote targets: what a target is asked to be (credentials write-only), how
// it is shown (health, never a secret), and the answer of a test call.
import { z } from "zod";
import { ROLES } from "../shared/states";

/** Printable ASCII without spaces: what may travel in an Authorization header. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const secretText = (max: number, min = 1) =>
  z.string().min(min).max(max).regex(HEADER_SAFE, "printable ASCII without spaces");
/**
 * Credential values are redacted from everything a remote answers (src/remote/redact.ts): a value of
 * a few characters would be found in ordinary words, so credentials are at least 8 characters.
 */
const CREDENTIAL_MIN = 8;

const FrappeCredentials = z.strictObject({
  api_key: secretText(200, CREDENTIAL_MIN),
  api_secret: secretText(200, CREDENTIAL_MIN),
});
const HttpCredentials = z.strictObject({ token: secretText(4096, CREDENTIAL_MIN) });

export const RemoteTargetSpec = z
  .strictObject({
    kind: z.enum(["frappe", "http"]),
    base_url: z.string().min(1).max(2048).meta({ example: "https://erp.example.com" }),
    credentials: z
      .union([FrappeCredentials, HttpCredentials, z.null()])
      .optional()
      .meta({
        description:
          "Write-only. frappe: { api_key, api_secret } (sent as `Authorization: token key:secret`); http: { token } " +
          "(sent as a Bearer token); each value 8+ printable characters, and redacted from everything the remote answers. " +
          "Omitted on a replace: kept. null: removed.",
      }),
    signing_secret: secretText(200)
      .optional()
      .meta({ description: "Only when creating: bring your own whsec_ secret instead of a generated one" }),
    allowed_methods: z
      .array(z.string().min(1).max(512))
      .min(1)
      .max(100)
      .meta({ example: ["myapp.api.*"], description: "Method patterns; `*` matches any run of characters" }),
    roles: z
      .array(z.enum(ROLES))
      .max(ROLES.length)
      .optional()
      .meta({ description: "Roles that may enqueue the target's methods (System Manager always may)" }),
    timeout: z.int().min(1).max(86_400).nullable().optional().meta({
      description: "Seconds a call may take before it is abandoned (default: the task's timeout)",
    }),
    max_response_bytes: z
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .optional()
      .meta({ description: "Most bytes of an answer that are read (default 1 MiB)" }),
  })
  .meta({ id: "RemoteTargetSpec" });

const iso = z.string().nullable();

export const RemoteTarget = z
  .object({
    name: z.string(),
    kind: z.enum(["frappe", "http"]),
    base_url: z.string(),
    has_credentials: z.boolean(),
    allowed_methods: z.array(z.string()),
    methods: z.array(z.string()).meta({ description: "The method names the patterns allow (`<target>:<pattern>`)" }),
    roles: z.array(z.enum(ROLES)),
    timeout: z.number().nullable(),
    max_response_bytes: z.number(),
    signing_secret_set_at: iso,
    previous_signing_secret_until: iso.meta({ description: "Until when the rotated-out secret still signs" }),
    auth_failed: z.boolean().meta({ description: "The target refused our credentials (401/403) on its last call" }),
    last_error: z.string().nullable(),
    last_error_at: iso,
    last_ok_at: iso,
    created_by: z.string(),
    created_at: iso,
    updated_at: iso,
  })
  .meta({ id: "RemoteTarget" });

export const RemoteTargetWithSecret = RemoteTarget.extend({
  signing_secret: z
    .string()
    .optional()
    .meta({ description: "The generated signing secret: shown only in this answer. Store it on the remote side." }),
});

export const RemoteTargetTest = z
  .object({ ok: z.boolean(), status: z.number().nullable(), user: z.string().nullable(), message: z.string() })
  .meta({ id: "RemoteTargetTest" });
