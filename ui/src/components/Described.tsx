// A description from the server (a method's, a report's) with its `code` spans shown as code, the
// way the README writes them, instead of raw backticks.
export function Described({ text }: { text: string | null }) {
  if (text === null) return null;
  return <>{text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}</>;
}
