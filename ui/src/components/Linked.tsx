// Text from the server (a debug log, a run's error, a status message) with every task name in it
// turned into a link to that task's page.
import { href } from "../router";

/** Task names: 26-character ULIDs in Crockford base32 (src/shared/ids.ts). */
const TASK_NAME = /\b[0-9A-HJKMNP-TV-Z]{26}\b/g;

export function Linked({ text }: { text: string }) {
  const parts: (string | preact.JSX.Element)[] = [];
  let last = 0;
  for (const match of text.matchAll(TASK_NAME)) {
    const at = match.index;
    parts.push(text.slice(last, at));
    parts.push(
      <a key={at} href={href(`/tasks/${match[0]}`)} class="mono">
        {match[0]}
      </a>,
    );
    last = at + match[0].length;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}
