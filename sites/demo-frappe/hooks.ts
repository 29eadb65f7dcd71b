// Test/demo aid: a webhook receiver on every host of the site. POST /hooks/<inbox> records the
// request (headers and the body exactly as received) and answers with the next status queued for
// the inbox (204 once none is queued); GET /__hooks/<inbox> lists what arrived, PUT /__hooks/<inbox>
// `{ "statuses": [500, 500] }` queues answers. Kept in memory like the call log (calls.ts).

/** One request an inbox received. */
export interface HookRecord {
  at: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

const inboxes = new Map<string, { received: HookRecord[]; statuses: number[] }>();
const MAX_INBOXES = 200;
const MAX_PER_INBOX = 500;

function inbox(name: string) {
  let box = inboxes.get(name);
  if (!box) {
    box = { received: [], statuses: [] };
    inboxes.set(name, box);
    if (inboxes.size > MAX_INBOXES) inboxes.delete(inboxes.keys().next().value ?? name);
  }
  return box;
}

/** Answers /hooks/… and /__hooks/… requests; null for any other path. */
export async function handleHooks(request: Request, url: URL): Promise<Response | null> {
  const receive = /^\/hooks\/([A-Za-z0-9_-]{1,80})$/.exec(url.pathname);
  if (receive?.[1] && request.method === "POST") {
    const box = inbox(receive[1]);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const status = box.statuses.shift() ?? 204;
    box.received.push({ at: new Date().toISOString(), headers, body: await request.text(), status });
    if (box.received.length > MAX_PER_INBOX) box.received.shift();
    return new Response(status === 204 ? null : JSON.stringify({ status }), { status });
  }
  const manage = /^\/__hooks\/([A-Za-z0-9_-]{1,80})$/.exec(url.pathname);
  if (!manage?.[1]) return null;
  const box = inbox(manage[1]);
  if (request.method === "GET") return Response.json({ received: box.received });
  if (request.method === "PUT") {
    const body = await request.json<{ statuses?: number[] }>();
    box.statuses = (body.statuses ?? []).filter((s) => Number.isInteger(s) && s >= 200 && s <= 599);
    return Response.json({ statuses: box.statuses });
  }
  return new Response(null, { status: 405 });
}
