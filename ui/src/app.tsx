// The console's root: resolves the session (sign-in when there is none or it ended), then renders the
// page for the current hash route inside the layout.
import { useEffect, useState } from "preact/hooks";
import { api, errorText, onSignedOut } from "./api";
import { Layout } from "./components/Layout";
import { ErrorBox, Loading } from "./components/States";
import { match, navigate, useLocation } from "./router";
import { ROUTES, homePath } from "./routes";
import { SessionContext, isAdmin } from "./session";
import type { Session } from "./types";
import { SignIn } from "./views/SignIn";

type State = { kind: "loading" } | { kind: "signed-out"; notice: string | null } | { kind: "in"; me: Session };

/** Maps the server's 401 messages to what the sign-in page says (none when there simply was no session). */
function noticeFor(message: string): string | null {
  return /session|revoked/i.test(message) ? message : null;
}

/** Said when a signed-in console's request finds no session at all (the cookie is gone). */
const SESSION_ENDED = "Your session has ended; sign in again.";

/** The root component. */
export function App() {
  const [state, setState] = useState<State>({ kind: "loading" });
  const loc = useLocation();

  useEffect(() => {
    api<Session>("GET", "/api/v1/session")
      .then((me) => setState({ kind: "in", me }))
      .catch((e: unknown) => setState({ kind: "signed-out", notice: noticeFor(errorText(e)) }));
    // Only a signed-in console is signed out by a 401 (a wrong key on the sign-in page is that page's error).
    return onSignedOut((message) =>
      setState((s) => (s.kind === "in" ? { kind: "signed-out", notice: noticeFor(message) ?? SESSION_ENDED } : s)),
    );
  }, []);

  if (state.kind === "loading") return <Loading what="Loading Switchyard" />;
  if (state.kind === "signed-out") {
    return <SignIn notice={state.notice} onSignedIn={(me) => setState({ kind: "in", me })} />;
  }

  const logout = () => {
    api("DELETE", "/api/v1/session")
      .catch(() => undefined)
      .finally(() => setState({ kind: "signed-out", notice: "You have signed out." }));
  };

  const admin = isAdmin(state.me);
  if (loc.path === "/") {
    navigate(homePath(admin));
    return null;
  }
  let page = null;
  for (const route of ROUTES) {
    const params = match(route.pattern, loc.path);
    if (!params) continue;
    document.title = `${route.title} · Switchyard`;
    page =
      route.admin && !admin ? (
        <ErrorBox error={new Error("This page is for System Managers.")} />
      ) : (
        // Keyed by path: another task, batch or schedule is a fresh page, not the last one's state.
        <route.view key={loc.path} params={params} query={loc.params} />
      );
    break;
  }
  if (!page) document.title = "Not found · Switchyard";
  return (
    <SessionContext.Provider value={state.me}>
      <Layout routes={ROUTES} active={loc.path} onLogout={logout}>
        {page ?? <ErrorBox error={new Error(`No page at ${loc.path}`)} />}
      </Layout>
    </SessionContext.Provider>
  );
}
