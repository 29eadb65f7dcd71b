// Whether a page is live: the green dot only while its WebSocket is connected; without one, a notice
// that says so and that the page refreshes by itself meanwhile.
import { POLL_MS, type LiveState } from "../live";

export function LiveStatus({ state }: { state: LiveState }) {
  if (state === "live") {
    return <span class="live-dot" title="Live: connected" aria-label="Live updates" data-testid="live-dot" />;
  }
  if (state !== "offline") return null;
  return (
    <span class="live-off" role="status" data-testid="live-offline">
      Live updates unavailable — refreshing every {POLL_MS / 1000} s
    </span>
  );
}
