// The W3C trace context a request brings (`traceparent`, `tracestate` headers), checked: a
// malformed one is a 400 naming the header, before anything is written.
import { invalid } from "../shared/errors";
import { parseTraceparent, tracestateError, type TraceContext } from "../shared/trace";

/**
 * The request's trace context, or undefined when it sends no `traceparent` (the enqueue then makes
 * one). A `tracestate` without a `traceparent` is ignored, as the W3C spec says.
 */
export function requestTrace(request: Request): TraceContext | undefined {
  const traceparent = request.headers.get("traceparent");
  if (traceparent === null) return undefined;
  const parts = parseTraceparent(traceparent);
  if ("error" in parts) {
    throw invalid("invalid_traceparent", `traceparent header: ${parts.error}`, [
      { path: "traceparent", message: parts.error },
    ]);
  }
  const tracestate = request.headers.get("tracestate");
  if (tracestate !== null) {
    const error = tracestateError(tracestate);
    if (error !== null) {
      throw invalid("invalid_tracestate", `tracestate header: ${error}`, [{ path: "tracestate", message: error }]);
    }
  }
  const state = tracestate?.trim() ?? "";
  return { traceparent: traceparent.trim(), tracestate: state === "" ? null : state };
}
