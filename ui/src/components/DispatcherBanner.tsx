// The global dispatcher switch where tasks are looked at: a suspended dispatcher explains why
// nothing starts, on the task pages too (not only on Overview and Settings).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { useInterval } from "../hooks";
import { href } from "../router";
import { isAdmin, useMe } from "../session";
import type { DispatcherState } from "../types";

/** How often a page re-reads the switch (nothing announces its changes over the WebSocket). */
const DISPATCHER_POLL_MS = 10_000;

/** The dispatcher's state (null until read), re-read every 10 s while the tab is visible. */
export function useDispatcher(): DispatcherState | null {
  const [state, setState] = useState<DispatcherState | null>(null);
  const read = () => {
    api<DispatcherState>("GET", "/api/v1/dispatcher")
      .then(setState)
      .catch(() => undefined); // the banner is a hint; the pages work without it
  };
  useEffect(read, []);
  useInterval(read, DISPATCHER_POLL_MS);
  return state;
}

/** A banner while the dispatcher is suspended; nothing otherwise. */
export function DispatcherBanner({ state }: { state: DispatcherState | null }) {
  const admin = isAdmin(useMe());
  if (state === null || state.enabled) return null;
  return (
    <div class="state state-error dispatcher-banner" role="status" data-testid="dispatcher-suspended">
      <span>
        <strong>The dispatcher is suspended:</strong> no task starts until it is resumed; running tasks finish.
      </span>
      {admin ? (
        <a class="btn btn-small" href={href("/settings")}>
          Settings
        </a>
      ) : (
        <span class="muted small">A System Manager can resume it.</span>
      )}
    </div>
  );
}
