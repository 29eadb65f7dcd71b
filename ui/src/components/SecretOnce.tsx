// A secret the server shows once (a new API key, a remote target's signing secret): shown here with a
// copy button until the user says it is saved — it is never shown again, not even after a reload.
import type { ComponentChildren } from "preact";

export function SecretOnce({
  value,
  onDone,
  children,
}: {
  value: string;
  onDone: () => void;
  /** What the secret is and where it goes. */
  children: ComponentChildren;
}) {
  return (
    <div class="card secret" role="status" data-testid="new-secret">
      <p>
        <strong>{children}</strong>
      </p>
      <code class="mono secret-value">{value}</code>
      <div>
        <button type="button" class="btn btn-small" onClick={() => void navigator.clipboard?.writeText(value)}>
          Copy
        </button>
        <button type="button" class="btn btn-small" onClick={onDone}>
          I have saved it
        </button>
      </div>
    </div>
  );
}
