// Text from the server (a debug log, a run's error, a status message) with every task name in it
// turned into a link to that task's page.
import { TASK_NAME_PATTERN } from "../../../src/shared/ids";
import { href } from "../router";

const TASK_NAME = new RegExp(`\\b${TASK_NAME_PATTERN}\\b`, "g");

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
