// What a remote target is asked to be (the PUT body) and the checks that turn it into a stored
// definition: the base URL under the URL policy, credentials that fit the kind and can travel in a
// header, allow-list patterns that can only ever match valid method paths.
import type { z } from "zod";
import { RemoteTargetSpec } from "../contract/remote-targets";
import { invalid } from "../shared/errors";
import { isDocumentPath } from "./methods";
import { checkBaseUrl, checkMethodPath, type TargetKind } from "./url-policy";
import type { Credentials } from "./vault";

/** A remote target as the API takes it (the contract's RemoteTargetSpec). */
export const TargetSpec = RemoteTargetSpec;
export type TargetSpec = z.output<typeof TargetSpec>;

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
