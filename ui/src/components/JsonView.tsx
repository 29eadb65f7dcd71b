// Formatted JSON (arguments, results, schemas) in a scrollable block.

/** Pretty-printed JSON; strings that are not JSON are shown as they are. */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {text ?? "null"}
    </pre>
  );
}
