// The method registry: defineTask / defineDocType, and lookup of what an HTTP caller may enqueue.
import type { z } from "zod";
import { checkFlow, type FlowControl } from "../shared/flow";
import type { Progress, QueueName, Role } from "../shared/states";

/** Structured progress, as stored on the task and sent with events. */

/** What a handler receives besides its arguments. */
export interface TaskContext {
  /** The task's name (id). */
  readonly name: string;
  /** The user who enqueued the task; the task runs and reports as this user. */
  readonly owner: string;
  /** 1 for the first run, 2 for the first retry, … */
  readonly attempt: number;
  /** Aborted when the task is canceled or times out. Long handlers must honour it. */
  readonly signal: AbortSignal;
  readonly env: Env;
  /** The task record as it was when this attempt started. */
  readonly task: Readonly<{
    name: string;
    method: string;
    jobName: string;
    queue: QueueName;
    timeout: number;
    batchId: string | null;
    retryCount: number;
  }>;
  /** Records progress (throttled writes; the last value is always kept). */
  progress(progress: Progress | string): Promise<void>;
  /** Appends a line to the task's debug log. */
  log(...parts: unknown[]): void;
  /**
   * The attempt's W3C trace context: send `traceparent` (and `tracestate`) on outgoing calls to
   * keep them in the task's trace. Null only for a task enqueued before traces were kept.
   */
  readonly trace: Readonly<{
    traceparent: string;
    tracestate: string | null;
    traceId: string;
    spanId: string;
  }> | null;
}

/** A registered task handler. `S` is the zod schema of its arguments. */
export interface TaskDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly args: S;
  /** Roles that may enqueue it (System Manager always may). Default: Task User. */
  readonly roles?: readonly Role[];
  readonly queue?: QueueName;
  /** Default timeout in seconds (else the queue's default). */
  readonly timeout?: number;
  readonly description?: string;
  /** Example methods are only registered where DEMO_METHODS is "on" (local dev and tests). */
  readonly demo?: boolean;
  /** Set by defineItemTask: the method takes `ids` and can be used with POST /api/v1/bulk/{method}. */
  readonly itemTask?: boolean;
  /**
   * Flow control (docs/flow-control.md): fairness, per-key concurrency, throttle, rateLimit,
   * debounce, singleton. A task type's `flow_control`, when set, replaces these.
   */
  readonly flow?: FlowControl;
  run(args: z.output<S>, ctx: TaskContext): unknown;
}

/** Declares a task handler; the returned value goes into the registry list in catalog/index.ts. */
export function defineTask<S extends z.ZodType>(definition: TaskDefinition<S>): TaskDefinition<S> {
  if (definition.flow !== undefined) {
    const issues = checkFlow(definition.flow, 0, "flow");
    if (issues.length > 0)
      throw new Error(`defineTask ${definition.name}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
  return definition;
}

/** A document action handler: bound to the loaded document, called with the task's arguments. */
type DocumentAction = (args: Record<string, unknown>, ctx: TaskContext) => unknown;

/** A document type whose actions can be queued (Frappe's `doc.queue_action`). */
export interface DocTypeDefinition<D extends object = object> {
  readonly name: string;
  readonly roles?: readonly Role[];
  readonly queue?: QueueName;
  readonly timeout?: number;
  readonly demo?: boolean;
  /** Loads a document by name; null when it does not exist. */
  load(name: string, ctx: TaskContext): Promise<D | null> | D | null;
  /** The allow-listed actions with their argument schemas. */
  readonly actions: Readonly<Record<string, z.ZodType<Record<string, unknown>>>>;
}

/** Declares a document type. */
export function defineDocType<D extends object>(definition: DocTypeDefinition<D>): DocTypeDefinition<D> {
  return definition;
}

/** A handler that the platform (not HTTP callers) registers, such as prepared-report jobs. */
export interface ResolvedMethod {
  readonly method: string;
  readonly args: z.ZodType;
  readonly roles: readonly Role[];
  readonly queue?: QueueName;
  readonly timeout?: number;
  readonly description?: string;
  readonly documentType?: string;
  readonly documentAction?: string;
  readonly demo: boolean;
  readonly itemTask: boolean;
  /**
   * Set for methods the platform enqueues itself (prepared reports): where their tasks are
   * started instead. The task API refuses them, naming this.
   */
  readonly startedBy?: string;
  /** Set for remote methods (`<target>:<path>`): the target that runs it; `run` is not used. */
  readonly remote?: string;
  /** Flow control declared in code (defineTask's `flow`). */
  readonly flow?: FlowControl;
  /** Runs the handler. For document actions `documentName` is the document to load. */
  run(args: unknown, ctx: TaskContext, documentName: string | null): Promise<unknown>;
}

/** Thrown by a handler (or the platform) for failures that retrying cannot fix. */
export class PermanentError extends Error {
  override name = "PermanentError";
}

const DEFAULT_ROLES: readonly Role[] = ["Task User"];

function fromTask(def: TaskDefinition): ResolvedMethod {
  return {
    method: def.name,
    args: def.args,
    roles: def.roles ?? DEFAULT_ROLES,
    queue: def.queue,
    timeout: def.timeout,
    description: def.description,
    demo: def.demo ?? false,
    itemTask: def.itemTask ?? false,
    flow: def.flow,
    run: (args, ctx) => Promise.resolve(def.run(args, ctx)),
  };
}

function fromDocAction(doctype: DocTypeDefinition, action: string, schema: z.ZodType): ResolvedMethod {
  return {
    method: `${doctype.name}.${action}`,
    args: schema,
    roles: doctype.roles ?? DEFAULT_ROLES,
    queue: doctype.queue,
    timeout: doctype.timeout,
    documentType: doctype.name,
    documentAction: action,
    demo: doctype.demo ?? false,
    itemTask: false,
    run: async (args, ctx, documentName) => {
      if (documentName === null) throw new PermanentError("document_name is missing");
      const doc = await doctype.load(documentName, ctx);
      if (doc === null) throw new PermanentError(`${doctype.name} ${documentName} not found`);
      // Frappe's queue_action rule: a defined `_<action>` runs instead of `<action>`. The action is
      // looked up by name at run time, so the document is read as a plain record here.
      const record = doc as Record<string, unknown>;
      const fn = record[`_${action}`] ?? record[action];
      if (typeof fn !== "function") {
        throw new PermanentError(`${doctype.name} has no action ${action}`);
      }
      return (fn as DocumentAction).call(doc, args as Record<string, unknown>, ctx);
    },
  };
}

/** The set of methods a deployment knows, keyed by method string. */
export class Registry {
  private readonly methods = new Map<string, ResolvedMethod>();
  private readonly doctypes = new Map<string, DocTypeDefinition>();

  constructor(tasks: readonly TaskDefinition[], doctypes: readonly DocTypeDefinition[]) {
    for (const def of tasks) this.add(fromTask(def));
    for (const doctype of doctypes) {
      this.doctypes.set(doctype.name, doctype);
      for (const [action, schema] of Object.entries(doctype.actions)) {
        this.add(fromDocAction(doctype, action, schema));
      }
    }
  }

  /** Adds a platform method (e.g. `report:<name>`). Method strings must be unique. */
  add(method: ResolvedMethod): void {
    if (this.methods.has(method.method)) throw new Error(`duplicate method ${method.method}`);
    this.methods.set(method.method, method);
  }

  /** The method, or null when unknown or hidden (demo methods where DEMO_METHODS is not "on"). */
  get(method: string, env: { DEMO_METHODS?: string }): ResolvedMethod | null {
    const found = this.methods.get(method);
    if (!found || (found.demo && env.DEMO_METHODS !== "on")) return null;
    return found;
  }

  /** The flow control a method declares in code (demo methods included), if any. */
  flowOf(method: string): FlowControl | undefined {
    return this.methods.get(method)?.flow;
  }

  /** The document type, or null when unknown or hidden. */
  docType(name: string, env: { DEMO_METHODS?: string }): DocTypeDefinition | null {
    const found = this.doctypes.get(name);
    if (!found || (found.demo && env.DEMO_METHODS !== "on")) return null;
    return found;
  }

  /** Every visible method, sorted by name. */
  list(env: { DEMO_METHODS?: string }): ResolvedMethod[] {
    return [...this.methods.values()]
      .filter((m) => !m.demo || env.DEMO_METHODS === "on")
      .sort((a, b) => a.method.localeCompare(b.method));
  }
}
