// Which method a spec names — decided once, at the edge: a method registered in code (or a
// document action of a registered document type), or a remote method on one of the targets
// loaded for the request. Everything after works with the one ResolvedMethod this gives.
import { registry } from "../catalog";
import type { ResolvedMethod } from "../methods/registry";
import { loadCatalog, remoteMethod, type RemoteCatalog } from "../remote/methods";
import { invalid } from "../shared/errors";
import { splitRemote } from "../shared/method-names";
import type { TaskSpec } from "./spec";

type MethodFields = Pick<TaskSpec, "method" | "document_type" | "document_name" | "document_action">;

export class MethodResolver {
  private constructor(
    private readonly env: Env,
    private readonly remote: RemoteCatalog,
  ) {}

  /** A resolver for specs naming `names` (methods or document types): loads the remote targets they use. */
  static async load(env: Env, names: readonly (string | null | undefined)[]): Promise<MethodResolver> {
    return new MethodResolver(
      env,
      await loadCatalog(
        env,
        names.map((n) => n ?? undefined),
      ),
    );
  }

  /** The method a spec names; a 400 naming `path` (e.g. the bulk index) when it names none it may. */
  resolve(spec: MethodFields, path: (string | number)[] = []): ResolvedMethod {
    const at = path.length > 0 ? ` (${path.join(".")})` : "";
    const docFields = [spec.document_type, spec.document_name, spec.document_action];
    const docCount = docFields.filter((v) => v !== undefined).length;
    if (docCount > 0 && docCount < 3) {
      throw invalid("missing_fields", `document_type, document_name and document_action must be given together${at}`);
    }
    if (docCount === 3) {
      const method = this.documentAction(spec.document_type ?? "", spec.document_action ?? "", at);
      if (spec.method !== undefined && spec.method !== method.method) {
        throw invalid(
          "conflicting_fields",
          `method ${spec.method} does not match the document action ${method.method}${at}`,
        );
      }
      return method;
    }
    if (spec.method === undefined) {
      throw invalid(
        "missing_fields",
        `pass either method or all three of document_type, document_name and document_action${at}`,
      );
    }
    return this.method(spec.method, at);
  }

  /** A method by name (a remote one through its target). */
  method(name: string, at = ""): ResolvedMethod {
    if (splitRemote(name)) {
      const found = remoteMethod(this.remote, name);
      if ("refused" in found) throw invalid("unknown_method", `${found.refused}${at}`);
      return found.method;
    }
    const method = registry.get(name, this.env);
    if (!method || method.documentType !== undefined) throw invalid("unknown_method", `unknown method ${name}${at}`);
    return method;
  }

  private documentAction(type: string, action: string, at: string): ResolvedMethod {
    if (splitRemote(type)) {
      const found = remoteMethod(this.remote, type, { type, action });
      if ("refused" in found) throw invalid("unknown_action", `${found.refused}${at}`);
      return found.method;
    }
    const doctype = registry.docType(type, this.env);
    if (!doctype) throw invalid("unknown_document_type", `unknown document type ${type}${at}`);
    const registered = registry.get(`${doctype.name}.${action}`, this.env);
    if (!registered) throw invalid("unknown_action", `${doctype.name} has no queueable action ${action}${at}`);
    return registered;
  }
}
