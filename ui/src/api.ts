// The console's one way to talk to the server: the public API through the shared TypeScript client in
// cookie mode (no key in the page), so the console can do nothing a user could not do with curl.
import { SwitchyardError, createClient, isTransient } from "../../clients/typescript/src/index";

export { SwitchyardError, isTransient };

/** The client bound to this origin and the session cookie. */
export const client = createClient({ baseUrl: location.origin });

type Listener = (message: string) => void;
const signedOutListeners = new Set<Listener>();

/** Subscribes to "the session ended" (any 401), with the server's message for the sign-in page. */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** Tells the app the session is gone (used by the API wrapper and by watches that get a 401). */
export function signalSignedOut(error: unknown): boolean {
  if (error instanceof SwitchyardError && error.status === 401) {
    for (const listener of signedOutListeners) listener(error.message);
    return true;
  }
  return false;
}

/** One API call; a 401 also signs the console out (an expired session goes back to sign-in). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await client.request<T>(method, path, body);
  } catch (error) {
    signalSignedOut(error);
    throw error;
  }
}

/** A query string from key/values, skipping empty ones; arrays repeat the key. */
export function query(params: Record<string, string | readonly string[] | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) search.append(key, v);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** The message of an error for display. */
export function errorText(error: unknown): string {
  if (error instanceof SwitchyardError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
