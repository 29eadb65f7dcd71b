// Who is signed in, and what the console shows them (roles are the API's; the API refuses anyway).
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Session } from "./types";

/** The signed-in user, provided by the app to every view. */
export const SessionContext = createContext<Session | null>(null);

/** The signed-in user (views only render when there is one). */
export function useMe(): Session {
  const me = useContext(SessionContext);
  if (!me) throw new Error("useMe outside a session");
  return me;
}

/** System Managers see every user's records and the admin pages. */
export const isAdmin = (me: Session) => me.roles.includes("System Manager");
