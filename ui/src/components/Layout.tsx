// The frame around every page: brand, navigation (admin pages only for admins), the user and logout.
import type { ComponentChildren } from "preact";
import type { Route } from "../routes";
import { isAdmin, useMe } from "../session";

/** The page frame for a signed-in user. */
export function Layout({
  routes,
  active,
  onLogout,
  children,
}: {
  routes: Route[];
  active: string;
  onLogout: () => void;
  children: ComponentChildren;
}) {
  const me = useMe();
  const admin = isAdmin(me);
  const links = routes.filter((r) => r.nav && (!r.admin || admin));
  return (
    <div class="layout">
      <header class="topbar">
        <a class="brand" href="#/">
          <img src="/ui/favicon.svg" alt="" width={20} height={20} />
          Switchyard
        </a>
        <nav aria-label="Main" class="nav">
          {links.map((r) => (
            <a
              key={r.pattern}
              href={`#${r.pattern}`}
              class={active.startsWith(r.pattern) ? "nav-link active" : "nav-link"}
              aria-current={active.startsWith(r.pattern) ? "page" : undefined}
            >
              {r.nav}
            </a>
          ))}
          <a class="nav-link" href="/api/v1/docs">
            API docs
          </a>
        </nav>
        <div class="whoami">
          <span title={me.roles.join(", ")} data-testid="whoami">
            {me.user}
          </span>
          <button type="button" class="btn btn-small" onClick={onLogout}>
            Log out
          </button>
        </div>
      </header>
      <main class="content" id="main">
        {children}
      </main>
    </div>
  );
}
