// What a remote target is asked to be (the PUT body) and the checks that turn it into a stored
// definition: the base URL under the URL policy, credentials that fit the kind and can travel in a
// header, allow-list patterns that can only ever match valid method paths.
import { z } from "@hono/zod-openapi";
import { invalid } from "../shared/errors";
import { ROLES } from "../shared/states";
import { isDocumentPath } from "./methods";
import { checkBaseUrl, checkMethodPath, type TargetKind } from "./url-policy";
import type { Credentials } from "./vault";

/** Printable ASCII without spaces: what may travel in an Authorization header. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const secretText = (max: number, min = 1) =>
  z.string().min(min).max(max).regex(HEADER_SAFE, "printable ASCII without spaces");
/**
 * Credential values are redacted from everything a remote answers (remote/redact.ts): a value of
 * a few characters would be found in ordinary words, so credentials are at least 8 characters.
 */
const CREDENTIAL_MIN = 8;

const FrappeCredentials = z.strictObject({
  api_key: secretText(200, CREDENTIAL_MIN),
  api_secret: secretText(200, CREDENTIAL_MIN),
});
const HttpCredentials = z.strictObject({ token: secretText(4096, CREDENTIAL_MIN) });

export const TargetSpec = z
  .strictObject({
    kind: z.enum(["frappe", "http"]),
    base_url: z.string().min(1).max(2048).openapi({ example: "https://erp.example.com" }),
    credentials: z
      .union([FrappeCredentials, HttpCredentials, z.null()])
      .optional()
      .openapi({
        description:
          "Write-only. frappe: { api_key, api_secret } (sent as `Authorization: token key:secret`); http: { token } " +
          "(sent as a Bearer token); each value 8+ printable characters, and redacted from everything the remote answers. " +
          "Omitted on a replace: kept. null: removed.",
      }),
    signing_secret: secretText(200)
      .optional()
      .openapi({ description: "Only when creating: bring your own whsec_ secret instead of a generated one" }),
    allowed_methods: z
      .array(z.string().min(1).max(512))
      .min(1)
      .max(100)
      .openapi({ example: ["myapp.api.*"], description: "Method patterns; `*` matches any run of characters" }),
    roles: z
      .array(z.enum(ROLES))
      .max(ROLES.length)
      .optional()
      .openapi({ description: "Roles that may enqueue the target's methods (System Manager always may)" }),
    timeout: z.int().min(1).max(86_400).nullable().optional().openapi({
      description: "Seconds a call may take before it is abandoned (default: the task's timeout)",
    }),
    max_response_bytes: z
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .optional()
      .openapi({ description: "Most bytes of an answer that are read (default 1 MiB)" }),
  })
  .openapi("RemoteTargetSpec");
export type TargetSpec = z.infer<typeof TargetSpec>;

/** Why a pattern can match something that is not a valid method path of `kind`, or null. */
function patternProblem(kind: TargetKind, pattern: string): string | null {
  if (pattern === "*") return null;
  if (/\*\*/.test(pattern)) return "must not contain '**'";
  // Every '*' stands for at least one character of a path, so the pattern with each '*' as one
  // letter must itself be a valid path: `myapp.api.*` is, `myapp.*.x/y` (frappe) is not. Frappe
  // targets also allow document actions (`Sales Invoice.submit`).
  const sample = pattern.replaceAll("*", "x");
  const problem = checkMethodPath(kind, sample);
  if (problem === null || (kind === "frappe" && isDocumentPath(sample))) return null;
  return kind === "frappe" ? `${problem}, or "<DocType>.<action>" for a document action` : problem;
}

/** The base URL, normalised, or a 400 naming the field. */
export function checkedBaseUrl(input: string, allowInsecureLocal: boolean): string {
  const url = checkBaseUrl(input, { allowInsecureLocal });
  if (!url.ok) throw invalid("invalid_base_url", `base_url ${url.reason}`, [{ path: "base_url", message: url.reason }]);
  return url.url;
}

/** The allow-list, each pattern checked against the kind's method paths. */
export function checkedPatterns(kind: TargetKind, patterns: readonly string[]): string[] {
  const problems = patterns
    .map((pattern, i) => ({ pattern, i, problem: patternProblem(kind, pattern) }))
    .filter((p) => p.problem !== null);
  if (problems.length > 0) {
    throw invalid(
      "invalid_pattern",
      `allowed_methods: ${problems.map((p) => `${p.pattern} ${p.problem}`).join("; ")}`,
      problems.map((p) => ({ path: `allowed_methods.${p.i}`, message: p.problem })),
    );
  }
  return [...new Set(patterns)];
}

/** The credentials, checked to fit the kind. */
export function checkedCredentials(kind: TargetKind, credentials: Credentials): Credentials {
  const fits = kind === "frappe" ? "api_key" in credentials : "token" in credentials;
  if (!fits) {
    const want = kind === "frappe" ? "{ api_key, api_secret }" : "{ token }";
    throw invalid("invalid_credentials", `credentials of a ${kind} target are ${want}`, [
      { path: "credentials", message: `expected ${want}` },
    ]);
  }
  return credentials;
}
