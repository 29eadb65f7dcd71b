// Remote methods as the rest of the platform sees them: `<target>:<path>` names, the allow-list
// patterns, and the catalog of targets an enqueue needs, resolved to ordinary method entries.
import { z } from "zod";
import { getDb } from "../db/client";
import { getTargets } from "../db/remote-targets";
import type { RemoteTargetRow } from "../db/schema";
import { registry } from "../methods";
import { PermanentError, type ResolvedMethod } from "../methods/registry";
import { fromJson } from "../shared/json";
import { idProblem } from "../shared/names";
import { matchesPattern } from "../shared/method-patterns";
import { checkMethodPath } from "./url-policy";

/** `report:` belongs to prepared reports, never to a target. */
const RESERVED = new Set(["report"]);

/** Whether `name` can be a target's name: the shared id grammar (shared/names.ts), and not `report`. */
export const isTargetName = (name: string): boolean => idProblem("target", name) === null && !RESERVED.has(name);

/** The target and path of a remote method name (`erp:myapp.api.sync_customer`), or null. */
export function splitRemote(name: string): { target: string; path: string } | null {
  const colon = name.indexOf(":");
  if (colon <= 0) return null;
  const target = name.slice(0, colon);
  if (!isTargetName(target)) return null;
  return { target, path: name.slice(colon + 1) };
}

/** Whether `path` matches one of the allow-list patterns (`*` stands for any run of characters). */
export function allowed(path: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => matchesPattern(path, pattern));
}

/** Remote targets by name, loaded for the methods an enqueue names. */
export type RemoteCatalog = ReadonlyMap<string, RemoteTargetRow>;

/** Loads the targets that `names` (methods or document types) refer to; an empty catalog when none do. */
export async function loadCatalog(env: Env, names: readonly (string | undefined)[]): Promise<RemoteCatalog> {
  const targets = new Set<string>();
  for (const name of names) {
    const remote = name === undefined ? null : splitRemote(name);
    if (remote) targets.add(remote.target);
  }
  if (targets.size === 0) return new Map();
  const rows = await getTargets(getDb(env), [...targets]);
  return new Map(rows.map((row) => [row.name, row]));
}

const DOCTYPE = /^[A-Za-z][A-Za-z0-9 _-]{0,139}$/;
const ACTION = /^[A-Za-z_][A-Za-z0-9_]{0,139}$/;

/** Whether `path` is `<DocType>.<action>` (a document action on a frappe target). */
export function isDocumentPath(path: string): boolean {
  const dot = path.lastIndexOf(".");
  return dot > 0 && DOCTYPE.test(path.slice(0, dot)) && ACTION.test(path.slice(dot + 1));
}

/** Why a remote method name is refused for this target, or null when it may run there. */
function refusal(row: RemoteTargetRow, path: string, document: boolean): string | null {
  if (document) {
    if (row.kind !== "frappe") return `document actions run only on frappe targets; ${row.name} is ${row.kind}`;
    if (!isDocumentPath(path)) return `${path} is not "<DocType>.<action>"`;
  } else {
    const problem = checkMethodPath(row.kind, path);
    if (problem !== null) return problem;
  }
  if (!allowed(path, fromJson(row.allowedMethods))) return `${path} is not in the allow-list of target ${row.name}`;
  return null;
}

const Arguments = z.record(z.string(), z.unknown());

/**
 * The method entry of a remote method, or a reason it cannot be enqueued: the target must exist and
 * allow the path. Its arguments are any JSON object (the remote validates them); its roles are the
 * target's.
 */
export function remoteMethod(
  catalog: RemoteCatalog,
  name: string,
  document?: { type: string; action: string },
): { method: ResolvedMethod } | { refused: string } {
  const remote = splitRemote(document ? document.type : name);
  if (!remote) return { refused: `${name} is not a remote method` };
  const row = catalog.get(remote.target);
  if (!row) return { refused: `unknown remote target ${remote.target}` };
  const path = document ? `${remote.path}.${document.action}` : remote.path;
  const reason = refusal(row, path, document !== undefined);
  if (reason !== null) return { refused: reason };
  return {
    method: {
      method: `${row.name}:${path}`,
      args: Arguments,
      roles: fromJson(row.roles),
      description: `runs ${path} on ${row.name} (${row.kind})`,
      documentType: document ? document.type : undefined,
      documentAction: document ? document.action : undefined,
      demo: false,
      itemTask: false,
      remote: row.name,
      run: () => Promise.reject(new PermanentError("a remote method runs through its target, not in this Worker")),
    },
  };
}

/**
 * Whether `name` is a method tasks can run here: registered in code, or allowed by its remote
 * target (a function path, or `<DocType>.<action>` for a document action).
 */
export async function isKnownMethod(env: Env, name: string): Promise<boolean> {
  const remote = splitRemote(name);
  if (!remote) return Boolean(registry.get(name, env));
  const catalog = await loadCatalog(env, [name]);
  if ("method" in remoteMethod(catalog, name)) return true;
  const dot = remote.path.lastIndexOf(".");
  if (dot <= 0) return false;
  const document = { type: `${remote.target}:${remote.path.slice(0, dot)}`, action: remote.path.slice(dot + 1) };
  return "method" in remoteMethod(catalog, name, document);
}
