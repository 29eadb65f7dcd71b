// One remote target (System Manager): its definition and health, a connection test (Frappe: who our
// credentials log in as), rotating the signing secret (the new one shown once; the old one keeps
// signing for a grace period) and deleting it — refused while live tasks use it unless forced.
import { useState } from "preact/hooks";
import { api, errorText, SwitchyardError } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { Field } from "../components/Field";
import { SecretOnce } from "../components/SecretOnce";
import { ErrorBox, Loading } from "../components/States";
import { formatDateTime, formatRelative } from "../format";
import { useInterval, useResource } from "../hooks";
import { href, navigate } from "../router";
import type { ViewProps } from "../routes";
import type { RemoteTarget, RemoteTargetTest, RemoteTargetWithSecret } from "../types";
import { targetHealth } from "./RemoteTargets";

const REFRESH_MS = 10_000;

/** The page of one remote target. */
export function RemoteTargetDetail({ params }: ViewProps) {
  const name = params.name ?? "";
  const path = `/api/v1/remote-targets/${encodeURIComponent(name)}`;
  const target = useResource<RemoteTarget>(path);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [test, setTest] = useState<RemoteTargetTest | null>(null);
  const [testing, setTesting] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [inUse, setInUse] = useState<string | null>(null);
  useInterval(() => void target.reload(), REFRESH_MS);

  if (target.error && !target.data) return <ErrorBox error={target.error} retry={() => void target.reload()} />;
  const t = target.data;
  if (!t) return <Loading what="Loading remote target" />;
  const health = targetHealth(t);

  const runTest = async () => {
    setFailure(null);
    setTesting(true);
    try {
      setTest(await api<RemoteTargetTest>("POST", `${path}/test`));
    } catch (e) {
      setTest(null);
      setFailure(errorText(e));
    } finally {
      setTesting(false);
    }
    await target.reload();
  };
  const rotate = () =>
    setConfirm({
      title: `Rotate the signing secret of ${t.name}?`,
      body:
        "A new secret signs every call from now on. During the grace period calls carry signatures by both " +
        "secrets, so the remote side can switch without refusing any call.",
      confirmLabel: "Rotate",
      onConfirm: async () => {
        setFailure(null);
        try {
          const rotated = await api<RemoteTargetWithSecret>("POST", `${path}/rotate-signing-secret`, {});
          setSecret(rotated.signing_secret ?? null);
        } catch (e) {
          setFailure(errorText(e));
        }
        await target.reload();
      },
    });
  const deleteTarget = async (force: boolean) => {
    setFailure(null);
    setInUse(null);
    try {
      await api("DELETE", `${path}${force ? "?force=true" : ""}`);
      navigate("/remote-targets");
    } catch (e) {
      // In use: say so where the user can decide to force it (a second, explicit confirmation).
      if (!force && e instanceof SwitchyardError && e.code === "target_in_use") setInUse(e.message);
      else setFailure(errorText(e));
    }
  };
  const forceDelete = () =>
    setConfirm({
      title: `Delete ${t.name} while tasks use it?`,
      body: "Its live tasks then fail (their method no longer exists); finished tasks keep their history.",
      confirmLabel: "Delete anyway",
      danger: true,
      onConfirm: () => deleteTarget(true),
    });
  const remove = () =>
    setConfirm({
      title: `Delete ${t.name}?`,
      body: `Its methods (${t.methods.join(", ")}) can no longer be enqueued; schedules that run them fail their runs.`,
      confirmLabel: "Delete target",
      danger: true,
      onConfirm: () => deleteTarget(false),
    });

  return (
    <article class="detail" aria-labelledby="target-title">
      <p class="crumbs">
        <a href={href("/remote-targets")}>Remote targets</a> / <span class="mono">{t.name}</span>
      </p>
      <header class="detail-head">
        <h1 id="target-title">{t.name}</h1>
        <span class={`pill ${health.pill}`} data-testid="target-health">
          {health.label}
        </span>
        <div class="actions" role="group" aria-label="Target actions">
          <button type="button" class="btn" onClick={() => void runTest()} disabled={testing}>
            {testing ? "Testing…" : "Test connection"}
          </button>
          <a class="btn" href={href(`/remote-targets/${encodeURIComponent(t.name)}/edit`)}>
            Edit
          </a>
          <button type="button" class="btn" onClick={rotate}>
            Rotate signing secret…
          </button>
          <button type="button" class="btn btn-danger-outline" onClick={remove}>
            Delete…
          </button>
        </div>
      </header>
      {test ? (
        <p class={test.ok ? "notice" : "state state-error"} role="status" data-testid="test-result">
          {test.ok ? "Connected" : "Test failed"}
          {test.status === null ? "" : ` (HTTP ${test.status})`}: {test.message}
        </p>
      ) : null}
      {failure ? <ErrorBox error={new Error(failure)} /> : null}
      {inUse ? (
        <div class="state state-error" role="alert" data-testid="target-in-use">
          <span>{inUse}</span>
          <button type="button" class="btn btn-small btn-danger-outline" onClick={forceDelete}>
            Delete anyway…
          </button>
        </div>
      ) : null}
      {secret ? (
        <SecretOnce value={secret} onDone={() => setSecret(null)}>
          Copy the new signing secret now and install it on the remote side — it is not shown again. The previous one
          keeps signing until {formatDateTime(t.previous_signing_secret_until)}.
        </SecretOnce>
      ) : null}
      {t.auth_failed ? (
        <p class="state state-error" role="alert">
          The target refused our credentials {formatRelative(t.last_error_at)}: {t.last_error}. Its tasks fail for good
          until the credentials are fixed (Edit) and a test or call succeeds.
        </p>
      ) : null}
      <div class="grid2">
        <section class="card">
          <h2>Definition</h2>
          <dl class="fields">
            <Field label="Kind" value={t.kind === "frappe" ? "Frappe site" : "HTTPS endpoint"} />
            <Field label="Base URL" value={t.base_url} mono />
            <Field label="Credentials" value={t.has_credentials ? "stored (write-only)" : "none"} />
            <Field label="Roles" value={t.roles.length > 0 ? t.roles.join(", ") : "System Manager only"} />
            <Field label="Call timeout" value={t.timeout === null ? "the task's timeout" : `${t.timeout} s`} />
            <Field label="Largest answer" value={`${Math.round(t.max_response_bytes / 1024)} KiB`} />
            <Field label="Created" value={`${formatDateTime(t.created_at)} by ${t.created_by}`} />
            <Field label="Changed" value={formatDateTime(t.updated_at)} />
          </dl>
        </section>
        <section class="card">
          <h2>Health and signing</h2>
          <dl class="fields">
            <Field label="Health" value={health.detail} />
            <Field label="Last success" value={t.last_ok_at ? formatDateTime(t.last_ok_at) : null} />
            <Field label="Last error" value={t.last_error} />
            <Field label="Last error at" value={t.last_error_at ? formatDateTime(t.last_error_at) : null} />
            <Field label="Signing secret set" value={formatDateTime(t.signing_secret_set_at)} />
            <Field
              label="Previous secret signs until"
              value={t.previous_signing_secret_until ? formatDateTime(t.previous_signing_secret_until) : null}
            />
          </dl>
        </section>
      </div>
      <section class="card" aria-labelledby="target-methods-title">
        <h2 id="target-methods-title">Methods it runs</h2>
        <ul class="plain-list">
          {t.methods.map((m) => (
            <li key={m} class="mono">
              {m.includes("*") ? m : <a href={href("/tasks", { method: m })}>{m}</a>}
            </li>
          ))}
        </ul>
        <p class="muted small">
          Enqueue one by its full name, <code>{`${t.name}:<path>`}</code> with a path a pattern allows (<code>*</code>{" "}
          stands for any run of characters). Concurrency limits and priorities are set per method name under Methods.
        </p>
      </section>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </article>
  );
}
