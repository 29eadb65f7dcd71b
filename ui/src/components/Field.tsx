// One label/value pair of a detail card's <dl class="fields">; a missing value shows as "—".
export function Field({ label, value, mono = false }: { label: string; value: string | null; mono?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd class={mono ? "mono" : undefined}>{value ?? "—"}</dd>
    </>
  );
}
