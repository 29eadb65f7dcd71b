// Method names: a registered method (`invoices.sync`), a prepared report (`report:<name>`), or a
// remote method (`<target>:<path>`). Pure string rules, shared by every layer.

/** Target names: 1–40 of a-z 0-9 _ -, starting with a letter or digit. */
export const TARGET_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** `report:` belongs to prepared reports, never to a target. */
const RESERVED = new Set(["report"]);

/** The target and path of a remote method name (`erp:myapp.api.sync_customer`), or null. */
export function splitRemote(name: string): { target: string; path: string } | null {
  const colon = name.indexOf(":");
  if (colon <= 0) return null;
  const target = name.slice(0, colon);
  if (!TARGET_NAME.test(target) || RESERVED.has(target)) return null;
  return { target, path: name.slice(colon + 1) };
}
