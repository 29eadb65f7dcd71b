// Sign-in: paste an API key; the server answers with an HttpOnly session cookie (the key is never
// stored by the page). Shows why the previous session ended, when it did.
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import type { Session } from "../types";

/** The sign-in page; `notice` says why the last session ended. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (me: Session) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const pair = key.trim();
    if (!/^[^:\s]+:\S+$/.test(pair)) {
      setError("That is not an API key: paste it as key:secret.");
      return;
    }
    setBusy(true);
    try {
      const me = await api<Session>("POST", "/api/v1/session", { api_key: pair });
      setKey("");
      onSignedIn(me);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">
          <img src="/ui/favicon.svg" alt="" width={24} height={24} /> Switchyard
        </h1>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label class="field">
          <span>API key</span>
          <input
            type="password"
            name="api_key"
            autocomplete="off"
            spellcheck={false}
            placeholder="key:secret"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <p class="hint">
          Paste an API key (key:secret). It is exchanged for a session cookie and never stored in the browser.
        </p>
        {error ? (
          <p class="state state-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
