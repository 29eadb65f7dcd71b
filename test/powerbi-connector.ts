// Reads the Power Query connector (connectors/powerbi/Switchyard.pq) with Microsoft's M parser and
// derives the HTTP requests it makes — paths, query parameters, cache-busters, credentials — so the
// replay tests send exactly those requests.
import * as PQP from "@microsoft/powerquery-parser";
import source from "../connectors/powerbi/Switchyard.pq?raw";

export const connectorSource = source;

type Node = { kind?: string; [key: string]: unknown };

/** Parses the connector; throws with the parser's message when it does not parse. */
export async function parseConnector(text = source): Promise<Node> {
  const task = await PQP.TaskUtils.tryLexParse(PQP.DefaultSettings, text);
  if (!PQP.TaskUtils.isOk(task)) throw new Error(`the connector does not parse: ${String(task.error.message)}`);
  return (task as unknown as { ast: Node }).ast;
}

/** Every node below `node` (parent links skipped) that satisfies `match`, in source order. */
function findAll(node: unknown, match: (n: Node) => boolean, out: Node[] = []): Node[] {
  if (node === null || typeof node !== "object") return out;
  const n = node as Node;
  if (typeof n.kind === "string" && match(n)) out.push(n);
  for (const [key, value] of Object.entries(n)) if (key !== "parent") findAll(value, match, out);
  return out;
}

/** The value of an M text or number literal. */
function literal(node: Node): string | number {
  const text = String(node.literal);
  return node.literalKind === "Text" ? text.slice(1, -1).replaceAll('""', '"') : Number(text);
}

/** Field names of a record expression, in order. */
const recordKeys = (record: Node) =>
  findAll(record.content, (n) => n.kind === "GeneralizedIdentifierPairedExpression").map(
    (pair) => (pair.key as Node).literal as string,
  );

/** The first record expression within a node (e.g. `[report_name = …] & FilterQuery`). */
const firstRecord = (node: unknown) => findAll(node, (n) => n.kind === "RecordExpression")[0];

/** A `Name = value` field anywhere in the connector, by name. */
function field(ast: Node, name: string): Node {
  const pair = findAll(
    ast,
    (n) =>
      (n.kind === "GeneralizedIdentifierPairedExpression" || n.kind === "IdentifierPairedExpression") &&
      (n.key as Node).literal === name,
  )[0];
  if (!pair) throw new Error(`the connector has no ${name}`);
  return pair.value as Node;
}

export interface ConnectorRequest {
  path: string;
  /** Query parameter names the connector sends (besides filters and cache-busters). */
  query: string[];
}

/** The requests the connector makes, read from its source. */
export interface ConnectorPlan {
  startJob: ConnectorRequest;
  checkStatus: ConnectorRequest;
  getResult: ConnectorRequest;
  /** Added to every call: `_ts` (a time stamp) and `_attempt` (the poll number). */
  cacheBusters: string[];
  attempts: number;
  sleep: number;
  /** Query parameter that carries the Web API credential. */
  apiKeyName: string;
  /** Header scheme when an ApiKey option is given: `Authorization: <scheme> key:secret`. */
  authorizationScheme: string;
  /** Statuses whose bodies the connector reads to raise the server's error. */
  manualStatuses: number[];
  /** Fieldtypes the connector types (others become text). */
  typedFieldtypes: string[];
}

/** Derives the plan from the connector's syntax tree. */
export function connectorPlan(ast: Node): ConnectorPlan {
  const constants = new Map<string, string | number>();
  for (const pair of findAll(ast, (n) => n.kind === "IdentifierPairedExpression")) {
    const value = pair.value as Node;
    if (value.kind === "LiteralExpression") constants.set((pair.key as Node).literal as string, literal(value));
  }
  // Every `Call(<path constant>, <query record>, attempt)`.
  const calls = new Map<string, ConnectorRequest>();
  for (const invoke of findAll(ast, (n) => n.kind === "RecursivePrimaryExpression")) {
    const head = invoke.head as Node;
    if (head.kind !== "IdentifierExpression" || (head.identifier as Node).literal !== "Call") continue;
    const call = findAll(invoke.recursiveExpressions, (n) => n.kind === "InvokeExpression")[0];
    const args = findAll(call?.content, (n) => n.kind === "Csv").map((csv) => csv.node as Node);
    const pathName = ((args[0]?.identifier as Node | undefined)?.literal ?? "") as string;
    const path = constants.get(pathName);
    const record = firstRecord(args[1]);
    if (typeof path !== "string" || !record) continue;
    calls.set(pathName, { path, query: recordKeys(record) });
  }
  const request = (name: string) => {
    const found = calls.get(name);
    if (!found) throw new Error(`the connector never calls ${name}`);
    return found;
  };
  const webOptions = field(ast, "Query");
  const headers = field(ast, "Headers");
  const authorization = findAll(headers, (n) => n.kind === "LiteralExpression")[0];
  const statuses = findAll(field(ast, "ManualStatusHandling"), (n) => n.kind === "LiteralExpression").map(literal);
  return {
    startJob: request("StartJobPath"),
    checkStatus: request("CheckStatusPath"),
    getResult: request("GetResultPath"),
    cacheBusters: recordKeys(firstRecord(webOptions) ?? {}),
    attempts: Number(constants.get("DefaultAttempts")),
    sleep: Number(constants.get("DefaultSleep")),
    apiKeyName: String(literal(field(ast, "ApiKeyName"))),
    authorizationScheme: authorization ? String(literal(authorization)).trim() : "",
    manualStatuses: statuses.map(Number),
    typedFieldtypes: recordKeys(field(ast, "ColumnTypes")),
  };
}
