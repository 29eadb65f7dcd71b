// Structured JSON logs (one line per event), as Workers Logs and `wrangler tail` expect. Fields set
// with `withLogFields` (a task attempt's trace, say) go on every line written inside that call,
// however deep, through AsyncLocalStorage.
import { AsyncLocalStorage } from "node:async_hooks";

type Fields = Record<string, unknown>;

const scope = new AsyncLocalStorage<Fields>();

function write(level: "info" | "warn" | "error", message: string, fields: Fields = {}): void {
  const line = JSON.stringify({ level, message, time: new Date().toISOString(), ...scope.getStore(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  info: (message: string, fields?: Fields) => write("info", message, fields),
  warn: (message: string, fields?: Fields) => write("warn", message, fields),
  error: (message: string, fields?: Fields) => write("error", message, fields),
};

/** Runs `fn` with `fields` on every log line it writes (added to the fields already in scope). */
export function withLogFields<T>(fields: Fields, fn: () => T): T {
  return scope.run({ ...scope.getStore(), ...fields }, fn);
}

/** A loggable description of an unknown thrown value. */
export function describeError(error: unknown): { error: string; stack?: string } {
  if (error instanceof Error) return { error: `${error.name}: ${error.message}`, stack: error.stack };
  return { error: String(error) };
}
