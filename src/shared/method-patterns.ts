// Remote targets' allow-list patterns (`myapp.api.*`): which method paths a pattern admits — the one
// rule the enqueue check and the console (which shows a remote method under its target's pattern) share.

/** Whether `path` matches `pattern`; `*` stands for any run of characters. */
export function matchesPattern(path: string, pattern: string): boolean {
  const regex = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${regex}$`).test(path);
}
