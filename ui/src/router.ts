// Hash routing (`#/tasks?status=Failed`): shareable URLs without any server-side routing, and the
// current route as a hook.
import { useEffect, useState } from "preact/hooks";

export interface Location {
  /** e.g. "/tasks/01J…" */
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  const hash = location.hash.replace(/^#/, "") || "/";
  const q = hash.indexOf("?");
  const path = q < 0 ? hash : hash.slice(0, q);
  return { path: path || "/", params: new URLSearchParams(q < 0 ? "" : hash.slice(q + 1)) };
}

/** The current location; re-renders on every hash change. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const onChange = () => setLoc(current());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return loc;
}

/** The href for a path and query, e.g. href("/tasks", { status: "Failed" }). */
export function href(path: string, params?: URLSearchParams | Record<string, string>): string {
  const search = params instanceof URLSearchParams ? params : new URLSearchParams(params);
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

/** Navigates (adds a history entry, so Back works). */
export function navigate(path: string, params?: URLSearchParams | Record<string, string>): void {
  location.hash = href(path, params);
}

/** Matches "/tasks/:name" against a path; returns the decoded params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] ?? "";
    const seg = s[i] ?? "";
    if (part.startsWith(":")) {
      if (seg === "") return null;
      out[part.slice(1)] = decodeURIComponent(seg);
    } else if (part !== seg) return null;
  }
  return out;
}
