// The roles an API key holds or a remote target admits, as one checkbox each.
import { ROLES, type Role } from "../../../src/shared/states";

export function RoleChecks({
  legend,
  roles,
  onChange,
}: {
  legend: string;
  roles: ReadonlySet<Role>;
  onChange: (roles: Set<Role>) => void;
}) {
  return (
    <fieldset class="field roles">
      <legend>{legend}</legend>
      {ROLES.map((r) => (
        <label key={r} class="field-check">
          <input
            type="checkbox"
            checked={roles.has(r)}
            onChange={(e) => {
              const next = new Set(roles);
              if (e.currentTarget.checked) next.add(r);
              else next.delete(r);
              onChange(next);
            }}
          />
          {r}
        </label>
      ))}
    </fieldset>
  );
}
