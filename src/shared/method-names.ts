// Method names: a registered method (`invoices.sync`), a prepared report (`report:<name>`), or a
// remote method (`<target>:<path>`). Pure string rules, shared by every layer.
import { idProblem } from "./names";

/** `report:` belongs to prepared reports, never to a target. */
const RESERVED = new Set(["report"]);

/** Whether `name` can be a target's name: the shared id grammar (shared/names.ts), and not `report`. */
export const isTargetName = (name: string): boolean => idProblem("target", name) === null && !RESERVED.has(name);

/** The target and path of a remote method name (`erp:myapp.api.sync_customer`), or null. */
export function splitRemote(name: string): { target: string; path: string } | null {
  const colon = name.indexOf(":");
  if (colon <= 0) return null;
  const target = name.slice(0, colon);
  if (!isTargetName(target)) return null;
  return { target, path: name.slice(colon + 1) };
}
