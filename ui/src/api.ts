// The console's one way to talk to the server: the public API through the shared TypeScript client in
// cookie mode (no key in the page), so the console can do nothing a user could not do with curl.
import { SwitchyardError, createClient, isTransient } from "../../clients/typescript/src/index";

export { SwitchyardError, isTransient };

type Listener = (message: string) => void;
const signedOutListeners = new Set<Listener>();

/**
 * fetch, telling the app about every 401 — whichever client call (or watch's ticket) met it — with
 * the server's message, so an ended session is noticed however the page talks to the server.
 */
async function fetchNoticingSignOut(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (response.status === 401) {
    const body = (await response
      .clone()
      .json()
      .catch(() => null)) as { error?: { message?: string } } | null;
    const message = body?.error?.message ?? "Your session has ended; sign in again.";
    for (const listener of signedOutListeners) listener(message);
  }
  return response;
}

/** The client bound to this origin and the session cookie. */
export const client = createClient({ baseUrl: location.origin, fetch: fetchNoticingSignOut });

/** Subscribes to "the session ended" (any 401), with the server's message for the sign-in page. */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** One API call; a 401 also signs the console out (the client's fetch tells the app). */
export function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return client.request<T>(method, path, body);
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
