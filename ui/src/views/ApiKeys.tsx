// API keys (System Manager): create one (its secret is shown once, here, and never again) and revoke
// (which also ends the sessions signed in with it). The table shows when each key was last used —
// "never" for a key not used yet.
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import { ConfirmDialog, type ConfirmRequest } from "../components/ConfirmDialog";
import { RoleChecks } from "../components/RoleChecks";
import type { Role } from "../../../src/shared/states";
import { SecretOnce } from "../components/SecretOnce";
import { Empty, ErrorBox, Loading } from "../components/States";
import { formatRelative, formatShort } from "../format";
import { useResource } from "../hooks";
import type { ApiKey, Page } from "../types";

/** The API keys page. */
export function ApiKeys() {
  const keys = useResource<Page<ApiKey>>("/api/v1/api-keys");
  const [user, setUser] = useState("");
  const [label, setLabel] = useState("");
  const [roles, setRoles] = useState<Set<Role>>(new Set(["Task User"]));
  const [created, setCreated] = useState<(ApiKey & { api_key: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (event: Event) => {
    event.preventDefault();
    if (busy) return; // a double click makes one key, not two
    setError(null);
    if (user.trim() === "") {
      setError("Name the user this key acts as (spaces alone are not a name).");
      return;
    }
    setBusy(true);
    try {
      const key = await api<ApiKey & { api_key: string }>("POST", "/api/v1/api-keys", {
        user: user.trim(),
        roles: [...roles],
        ...(label.trim() ? { label: label.trim() } : {}),
      });
      setCreated(key);
      setUser("");
      setLabel("");
      await keys.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = (key: ApiKey) =>
    setConfirm({
      title: `Revoke the key of ${key.user}?`,
      body:
        `Key ${key.key} stops working within 10 s everywhere (KEY_CACHE_TTL_S), and console sessions signed in ` +
        `with it end with it. If it is ${key.user}'s last key, their API schedules stop.`,
      confirmLabel: "Revoke",
      danger: true,
      onConfirm: async () => {
        try {
          await api("DELETE", `/api/v1/api-keys/${encodeURIComponent(key.key)}`);
        } catch (e) {
          setError(errorText(e));
        }
        await keys.reload();
      },
    });

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <form class="card filters" onSubmit={(e) => void create(e)} aria-label="Create an API key">
        <label class="field">
          <span>User</span>
          <input name="user" required maxLength={140} value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Label</span>
          <input name="label" maxLength={140} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
        </label>
        <RoleChecks legend="Roles" roles={roles} onChange={setRoles} />
        <div class="filter-actions">
          <button type="submit" class="btn btn-primary" disabled={roles.size === 0 || busy}>
            Create key
          </button>
        </div>
      </form>
      {error ? <ErrorBox error={new Error(error)} /> : null}
      {created ? (
        <SecretOnce value={created.api_key} onDone={() => setCreated(null)}>
          Copy this key now — its secret is not shown again.
        </SecretOnce>
      ) : null}
      {keys.error ? <ErrorBox error={keys.error} /> : null}
      {!keys.data ? <Loading what="Loading keys" /> : null}
      {keys.data && keys.data.data.length === 0 ? <Empty>No API keys yet: create the first one above.</Empty> : null}
      {keys.data && keys.data.data.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Key</th>
                <th>User</th>
                <th>Roles</th>
                <th>Label</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Status</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.data.map((k) => (
                <tr key={k.key} data-key={k.key}>
                  <td class="mono">{k.key}</td>
                  <td>{k.user}</td>
                  <td>{k.roles.join(", ")}</td>
                  <td>{k.label ?? ""}</td>
                  <td>
                    {formatShort(k.created_at)} by {k.created_by}
                  </td>
                  <td data-testid="last-used">{k.last_used_at ? formatRelative(k.last_used_at) : "never"}</td>
                  <td>{k.revoked_at ? `revoked ${formatShort(k.revoked_at)}` : "active"}</td>
                  <td>
                    {k.revoked_at ? null : (
                      <button type="button" class="btn btn-small btn-danger-outline" onClick={() => revoke(k)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
