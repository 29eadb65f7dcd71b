// Loading, error and empty states shared by every view.
import { errorText, isTransient } from "../api";

/** A quiet loading line (takes the same space as one table row, so nothing jumps). */
export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p class="state state-loading" role="status">
      {what}…
    </p>
  );
}

/**
 * An error box with the server's message, and "Try again" when trying again could help: not after a
 * 404 or 403 (gone, not yours, not allowed), which a retry would only repeat.
 */
export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <span>{errorText(error)}</span>
      {retry && isTransient(error) ? (
        <button type="button" class="btn btn-small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** An empty state with a hint. */
export function Empty({ children }: { children: preact.ComponentChildren }) {
  return <p class="state state-empty">{children}</p>;
}
