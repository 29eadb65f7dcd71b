// How one stored notice (the Standard Webhooks body `{ type, timestamp, data }`) reads on each
// channel: as is on a signed webhook, as Slack's incoming-webhook `{ text, blocks }`, and as a
// plain-text email (RFC 5322, built here so no MIME library ships in the Worker).

/** The `data` of an alert notice. */
export interface AlertNoticeData {
  incident_id: string | null;
  rule_id: string | null;
  rule_name: string;
  kind: string;
  subject: string;
  state: "firing" | "resolved" | "test";
  summary: string;
  value: number | null;
  threshold: number | null;
  started_at: string | null;
  detected_at: string | null;
  resolved_at: string | null;
}

interface Notice {
  type: string;
  timestamp: string;
  data: AlertNoticeData;
}

const LABEL = { firing: "FIRING", resolved: "RESOLVED", test: "TEST" } as const;

/** One line that says what happened, e.g. `FIRING: failures (demo.fail) — 3 of 3 failed in 5m`. */
export function noticeHeadline(data: AlertNoticeData): string {
  const subject = data.subject === "" ? "" : ` (${data.subject})`;
  return `${LABEL[data.state]}: ${data.rule_name}${subject} — ${data.summary}`;
}

/** The body for a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat, Teams' Slack mode). */
export function slackBody(payload: string): string {
  const notice = JSON.parse(payload) as Notice;
  const d = notice.data;
  const icon =
    d.state === "firing" ? ":red_circle:" : d.state === "resolved" ? ":large_green_circle:" : ":white_circle:";
  const text = `${icon} ${noticeHeadline(d)}`;
  const fields = [
    `*Rule:* ${d.rule_name} (${d.kind})`,
    d.subject === "" ? null : `*Subject:* ${d.subject}`,
    d.started_at === null ? null : `*Since:* ${d.started_at}`,
    d.resolved_at === null ? null : `*Resolved:* ${d.resolved_at}`,
  ].filter((f): f is string => f !== null);
  return JSON.stringify({
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      { type: "context", elements: fields.map((f) => ({ type: "mrkdwn", text: f })) },
    ],
  });
}

/** A header value with no line breaks (a subject cannot inject headers). */
const headerSafe = (value: string) => value.replace(/[\r\n]+/g, " ").slice(0, 200);

/** Encodes a header value as RFC 2047 UTF-8 base64 when it is not plain ASCII. */
function encodedWord(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const bytes = new TextEncoder().encode(value);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `=?UTF-8?B?${btoa(binary)}?=`;
}

/** The raw email for a notice (text/plain, UTF-8, quoted-printable-free base64 body). */
export function emailMessage(payload: string, from: string, to: string, messageId: string, now: number): string {
  const notice = JSON.parse(payload) as Notice;
  const d = notice.data;
  const lines = [
    noticeHeadline(d),
    "",
    `Rule: ${d.rule_name} (${d.kind})`,
    d.subject === "" ? null : `Subject: ${d.subject}`,
    d.value === null ? null : `Value: ${d.value}${d.threshold === null ? "" : ` (threshold ${d.threshold})`}`,
    d.started_at === null ? null : `Since: ${d.started_at}`,
    d.resolved_at === null ? null : `Resolved: ${d.resolved_at}`,
    d.incident_id === null ? null : `Incident: ${d.incident_id}`,
  ].filter((l): l is string => l !== null);
  const bytes = new TextEncoder().encode(lines.join("\r\n") + "\r\n");
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const body = (btoa(binary).match(/.{1,76}/g) ?? []).join("\r\n");
  const domain = from.split("@")[1] ?? "switchyard.invalid";
  return [
    `From: Switchyard alerts <${from}>`,
    `To: <${to}>`,
    `Subject: ${encodedWord(headerSafe(`[Switchyard] ${noticeHeadline(d)}`))}`,
    `Message-ID: <${messageId}@${domain}>`,
    `Date: ${new Date(now).toUTCString()}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    body,
    "",
  ].join("\r\n");
}
