// The one way the console's create/edit pages hold a form: a draft with a setter per text field, and a
// submit that saves — asking first when it replaces something — with busy and error states.
import { useState } from "preact/hooks";
import { errorText } from "./api";
import type { ConfirmRequest } from "./components/ConfirmDialog";

/** The keys of `D` whose values are text (what an input's value can set). */
type TextKey<D> = { [K in keyof D]: D[K] extends string ? K : never }[keyof D];

export interface DraftForm<D> {
  draft: D;
  setDraft: (update: (draft: D) => D) => void;
  /** An onInput/onChange handler that sets the text field `key`. */
  set: (key: TextKey<D>) => (event: { currentTarget: { value: string } }) => void;
  busy: boolean;
  error: string | null;
  submit: (event: Event) => void;
  /** The confirmation to show (for <ConfirmDialog>), and how to dismiss it. */
  confirm: ConfirmRequest | null;
  closeConfirm: () => void;
}

/**
 * A form over `initial`; `save` gets the draft. With `confirmFirst` (an edit replacing a stored
 * definition) the submit asks before saving.
 */
export function useDraftForm<D>(
  initial: D,
  save: (draft: D) => Promise<void>,
  confirmFirst: Omit<ConfirmRequest, "onConfirm"> | null,
): DraftForm<D> {
  const [draft, setDraft] = useState<D>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const run = async () => {
    setError(null);
    setBusy(true);
    try {
      await save(draft);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  // A server error describes the draft it refused; once the draft changes it no longer applies.
  const change = (update: (draft: D) => D) => {
    setError(null);
    setDraft(update);
  };
  return {
    draft,
    setDraft: change,
    set: (key) => (event) => {
      const value = event.currentTarget.value;
      // TextKey guarantees the field holds text; TypeScript cannot carry that through the index.
      change((d) => ({ ...d, [key]: value as D[typeof key] }));
    },
    busy,
    error,
    submit: (event) => {
      event.preventDefault();
      if (confirmFirst === null) void run();
      else setConfirm({ ...confirmFirst, onConfirm: run });
    },
    confirm,
    closeConfirm: () => setConfirm(null),
  };
}
