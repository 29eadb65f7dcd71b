// A modal confirmation (native <dialog>: focus is trapped, Esc cancels) for destructive actions,
// optionally asking for a message (e.g. the cancel reason).
import { useEffect, useRef, useState } from "preact/hooks";

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  /** Ask for a text (label shown); its value is passed to onConfirm. */
  messageLabel?: string;
  onConfirm: (message: string) => void | Promise<void>;
}

/** Renders `request` as an open modal; `onClose` is called on cancel and after confirm. */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    // The message is cleared when a request ends, never as one opens: a reset after showModal()
    // would land after the user's first keystrokes and wipe them.
    if (!request) setMessage("");
    if (request && !dialog.open) dialog.showModal();
    else if (!request && dialog.open) dialog.close();
  }, [request]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!request) return;
    setBusy(true);
    try {
      await request.onConfirm(message);
    } finally {
      setBusy(false);
      onClose();
    }
  };

  return (
    <dialog ref={ref} class="dialog" onClose={onClose} aria-labelledby="confirm-title">
      {request ? (
        <form method="dialog" onSubmit={(e) => void submit(e)}>
          <h2 id="confirm-title">{request.title}</h2>
          <p>{request.body}</p>
          {request.messageLabel ? (
            <label class="field">
              <span>{request.messageLabel}</span>
              <input
                type="text"
                name="message"
                value={message}
                maxLength={1000}
                onInput={(e) => setMessage(e.currentTarget.value)}
              />
            </label>
          ) : null}
          <div class="dialog-actions">
            <button type="button" class="btn" onClick={onClose}>
              Go back
            </button>
            <button type="submit" class={request.danger ? "btn btn-danger" : "btn btn-primary"} disabled={busy}>
              {request.confirmLabel}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
