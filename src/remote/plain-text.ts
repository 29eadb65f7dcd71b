// Turns remote error bodies (HTML, JSON or text) into one short line of plain text for error messages.

/** Longest `readable` error text kept from a remote answer. */
export const MAX_READABLE_CHARS = 1000;

// Tags that separate words when rendered; inline ones (`<b>`, `<a>`) join their text to its neighbours.
const BLOCK_TAGS = new Set([
  ...["address", "article", "aside", "blockquote", "body", "br", "center", "dd", "details", "div", "dl", "dt"],
  ...["footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr", "html", "li", "main", "nav"],
  ...["ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul"],
]);

const NAMED_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  copy: "©",
};

const TAG = /<\/?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?\/?>/g;

function stripTags(text: string): string {
  return text.replace(TAG, (_tag, name: string) => (BLOCK_TAGS.has(name.toLowerCase()) ? " " : ""));
}

/** Decodes named, decimal and hex character references in one pass (`&amp;lt;` stays `&lt;`). */
function decodeEntities(text: string): string {
  return text.replace(
    /&(?:#(\d{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]{2,8}));/g,
    (entity: string, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
      if (name !== undefined) return NAMED_ENTITIES[name] ?? entity;
      const code = dec !== undefined ? parseInt(dec, 10) : parseInt(hex ?? "", 16);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : "\uFFFD";
    },
  );
}

/** Shortens `text` to at most `max` characters, ending in "…", without splitting a surrogate pair. */
export function clip(text: string, max: number = MAX_READABLE_CHARS): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Plain text of an HTML fragment on one line: scripts, styles and comments dropped, tags removed
 * (block tags become spaces), entities decoded, whitespace collapsed, clipped to `max`. Tags are
 * stripped again after decoding so that `&lt;script&gt;` cannot turn into markup. The result is
 * text, not HTML: escape it before putting it into a page.
 */
export function htmlToText(html: string, max: number = MAX_READABLE_CHARS): string {
  const withoutCode = html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, " ")
    .replace(/<(script|style)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, " ")
    .replace(/<!doctype[^>]*>/gi, " ");
  const text = stripTags(decodeEntities(stripTags(withoutCode)));
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed here
  return clip(text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, " ").trim(), max);
}

/** The `<title>` of an HTML page (or its first `<h1>`) as plain text, or null when it has neither. */
export function htmlTitle(html: string): string | null {
  for (const pattern of [/<title\b[^>]*>([\s\S]*?)<\/title\s*>/i, /<h1\b[^>]*>([\s\S]*?)<\/h1\s*>/i]) {
    const match = pattern.exec(html);
    const text = match ? htmlToText(match[1] ?? "") : "";
    if (text !== "") return text;
  }
  return null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const field = (value: unknown, key: string): unknown => (isRecord(value) ? value[key] : undefined);

/** The first non-empty string among common error fields of a JSON error body. */
function jsonErrorText(json: unknown): string | null {
  const candidates = [
    field(field(json, "error"), "message"),
    field(json, "error"),
    field(json, "message"),
    field(json, "detail"),
    field(json, "title"),
  ];
  const text = candidates.find((c): c is string => typeof c === "string" && c.trim() !== "");
  return text === undefined ? null : text;
}

/**
 * One line of plain text describing a non-success answer of any remote (used as-is for `http`
 * targets, and for non-JSON answers of Frappe sites): a JSON body's `error.message` / `error` /
 * `message` / `detail` / `title`; an HTML page's title (never its markup); otherwise the text itself.
 * Falls back to `HTTP <status>` when the body says nothing.
 */
export function errorTextFromBody(status: number, contentType: string | null, body: string): string {
  const trimmed = body.trim();
  if (/json/i.test(contentType ?? "") || trimmed.startsWith("{")) {
    try {
      const text = jsonErrorText(JSON.parse(trimmed));
      if (text !== null) return htmlToText(text) || `HTTP ${status}`;
    } catch {
      // Not JSON after all: fall through to the HTML / text handling.
    }
  }
  const looksHtml = /html/i.test(contentType ?? "") || /^<(?:!doctype|html|head|body|title)\b/i.test(trimmed);
  return (looksHtml ? htmlTitle(trimmed) : null) ?? (htmlToText(trimmed) || `HTTP ${status}`);
}
