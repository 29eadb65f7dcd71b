// Test-only Worker entry: Switchyard's Worker unchanged, plus /__probe routes that stand in for
// the callback routes (not built yet) and make an outbound fetch from inside a request handler.
import switchyard from "../../../src/index";

export { MethodScheduler, RealtimeHub, ScheduleTimer } from "../../../src/index";

interface Received {
  task: string;
  kind: string;
  authorization: string | null;
  body: unknown;
}

/** Callbacks that reached this Worker, in arrival order. */
const received: Received[] = [];

async function probe(request: Request, url: URL): Promise<Response | null> {
  const callback = /^\/__probe\/tasks\/([^/]+)\/(progress|complete|fail)$/.exec(url.pathname);
  if (callback !== null && request.method === "POST") {
    const [, task = "", kind = ""] = callback;
    received.push({ task, kind, authorization: request.headers.get("authorization"), body: await request.json() });
    // A task named "canceled-*" answers its first progress report as Switchyard does a canceled attempt.
    const status = task.startsWith("canceled-") && kind === "progress" ? 409 : 200;
    return Response.json({ ok: status === 200 }, { status });
  }
  if (url.pathname === "/__probe/received") {
    return Response.json(received.filter((r) => r.task === url.searchParams.get("task")));
  }
  if (url.pathname === "/__probe/fetch" && request.method === "POST") {
    // What Switchyard's consumer will do: a plain global fetch() to the target's base URL.
    const { url: target, init } = await request.json<{ url: string; init: RequestInit }>();
    const response = await fetch(target, init);
    return Response.json({
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    });
  }
  return null;
}

export default {
  ...switchyard,
  async fetch(request, env, ctx) {
    return (await probe(request, new URL(request.url))) ?? switchyard.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
