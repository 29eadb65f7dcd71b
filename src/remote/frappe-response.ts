// Reads the answer of a Frappe `/api/method/...` call: the method's `message`, or a short plain-text error.
//
// Shapes, from Frappe's source (v15/develop): `frappe/handler.py` `handle()` puts the return value
// in `message` (absent when the method returned None). On an exception `frappe/app.py`
// `handle_exception` answers JSON for `/api/` paths (unless Accept starts with `text`) through
// `frappe/utils/response.py` `report_error`: `exc_type` (class name, v15+), `exception` (last
// traceback line, only when tracebacks are allowed for the user), and `make_logs`: `exc` (a JSON
// string holding a list of tracebacks), `_server_messages` (a JSON string holding a list of JSON
// strings, each `{message, title, indicator, raise_exception, ...}` from `msgprint`/`throw`),
// `_error_message`. API v2 answers `errors: [{type, message, exception?}]` instead.
import { readCappedText } from "./body";
import { clip, errorTextFromBody, htmlToText } from "./plain-text";

export type FrappeResult =
  { ok: true; message: unknown } | { ok: false; status: number; excType: string | null; readable: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `frappe.exceptions.ValidationError: msg` → class `ValidationError` and text `msg`. */
function splitExceptionLine(line: string): { cls: string | null; text: string } {
  const match = /^([A-Za-z_][\w.]*)(?::\s*([\s\S]*))?$/.exec(line.trim());
  if (!match) return { cls: null, text: line };
  return { cls: match[1]?.split(".").pop() ?? null, text: match[2] ?? "" };
}

/** `ValidationError: msg`, or just the class when the exception carried no message. */
function exceptionText(line: string): string {
  const { cls, text } = splitExceptionLine(line);
  return cls === null ? line : text.trim() === "" ? cls : `${cls}: ${text}`;
}

/** The last non-empty line of the last traceback in `exc` (a JSON-encoded list of strings). */
function lastTracebackLine(exc: unknown): string | null {
  const list = typeof exc === "string" ? parseJson(exc) : exc;
  const last: unknown = Array.isArray(list) ? list[list.length - 1] : undefined;
  if (typeof last !== "string") return null;
  return (
    last
      .split("\n")
      .filter((line) => line.trim() !== "")
      .pop() ?? null
  );
}

interface ServerMessage {
  text: string;
  raised: boolean;
  alert: boolean;
}

/** Messages of `_server_messages`; entries that are not JSON objects are taken as plain text. */
function serverMessages(raw: unknown): ServerMessage[] {
  const list = typeof raw === "string" ? parseJson(raw) : raw;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown): ServerMessage[] => {
    const item = typeof entry === "string" ? (parseJson(entry) ?? entry) : entry;
    if (typeof item === "string") return [{ text: item, raised: false, alert: false }];
    if (!isObject(item)) return [];
    // `msgprint(as_list=True)` sends a list of strings as the message.
    const message = Array.isArray(item.message) ? item.message.filter(nonEmpty).join("; ") : item.message;
    if (!nonEmpty(message)) return [];
    return [{ text: message, raised: Boolean(item.raise_exception), alert: Boolean(item.alert) }];
  });
}

function excTypeOf(json: Json, errors: Json[]): string | null {
  const candidates = [json.exc_type, errors[0]?.type];
  const named = candidates.find(nonEmpty);
  const cls = named ?? (nonEmpty(json.exception) ? splitExceptionLine(json.exception).cls : null);
  return cls && /^[A-Za-z_][\w.]{0,199}$/.test(cls) ? (cls.split(".").pop() ?? null) : null;
}

function readableOf(json: Json, errors: Json[], excType: string | null, status: number): string {
  const messages = serverMessages(json._server_messages);
  const raised = messages.filter((m) => m.raised).map((m) => m.text);
  const others = messages.filter((m) => !m.raised && !m.alert).map((m) => m.text);
  const traceLine = lastTracebackLine(json.exc);
  const candidates: (string | null)[] = [
    raised.join("; "),
    errors
      .map((e) => e.message)
      .filter(nonEmpty)
      .join("; "),
    nonEmpty(json.exception) ? exceptionText(json.exception) : null,
    traceLine === null ? null : exceptionText(traceLine),
    others.join("; "),
    nonEmpty(json.message) ? json.message : null,
    nonEmpty(json._error_message) ? json._error_message : null,
    excType,
  ];
  for (const candidate of candidates) {
    const text = candidate ? htmlToText(candidate) : "";
    if (text !== "") return text;
  }
  return `HTTP ${status}`;
}

/**
 * Interprets a Frappe `/api/method` answer. A 2xx JSON object gives `{ ok: true, message }`
 * (`message` is null when the method returned None). Anything else gives `{ ok: false, status,
 * excType, readable }`, where `readable` is one line of plain text (no markup, entities decoded,
 * at most 1,000 characters) chosen from the raised `_server_messages`, API v2 `errors`,
 * `exception`, the last line of `exc`, other messages, `message`, `_error_message` or `exc_type`;
 * for non-JSON bodies (nginx / gunicorn pages) the page title or text. A 2xx answer that is not a
 * JSON object is not ok (status kept): the caller decides how to classify it.
 */
export function parseFrappeResponse(status: number, contentType: string | null, body: string): FrappeResult {
  const json = parseJson(body.trim());
  if (status >= 200 && status <= 299) {
    if (isObject(json)) return { ok: true, message: json.message ?? null };
    const got = contentType ?? "no content type";
    return { ok: false, status, excType: null, readable: `expected a JSON object from /api/method, got ${got}` };
  }
  if (!isObject(json))
    return { ok: false, status, excType: null, readable: errorTextFromBody(status, contentType, body) };
  const errors = Array.isArray(json.errors) ? json.errors.filter(isObject) : [];
  const excType = excTypeOf(json, errors);
  return { ok: false, status, excType, readable: readableOf(json, errors, excType, status) };
}

/**
 * Reads at most `maxBytes` of `response` and interprets it with `parseFrappeResponse`. A body
 * over the cap is never parsed as a result: a 2xx becomes not ok, an error keeps what the
 * truncated text reveals (the `exception` line when it came first, else the page text).
 */
export async function readFrappeResponse(response: Response, maxBytes: number): Promise<FrappeResult> {
  const contentType = response.headers.get("content-type");
  const { text, truncated } = await readCappedText(response, maxBytes);
  if (!truncated) return parseFrappeResponse(response.status, contentType, text);
  const status = response.status;
  const tooLarge = `answer larger than ${maxBytes} bytes`;
  if (status >= 200 && status <= 299) return { ok: false, status, excType: null, readable: tooLarge };
  const literal = /"exception"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  const exception = literal === undefined ? undefined : parseJson(literal);
  if (nonEmpty(exception)) {
    const excType = splitExceptionLine(exception).cls;
    return { ok: false, status, excType, readable: htmlToText(exceptionText(exception)) };
  }
  return {
    ok: false,
    status,
    excType: null,
    readable: clip(`${errorTextFromBody(status, contentType, text)} (${tooLarge})`),
  };
}
