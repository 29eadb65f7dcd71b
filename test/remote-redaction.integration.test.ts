// A remote that echoes our request (the demo site's echo_request: headers, credentials and the
// callback token, in its result, its error or its callbacks) never gets a credential into anything
// we keep or show: the task as its owner and the admin read it, the target's last_error, the logs.
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDACTED, redactorFor } from "../src/remote/redact";
import { uid } from "./api-support";
import { call, createKey, enqueue, getTask, waitForStatus } from "./helpers";
import { SITE_KEY, SITE_SECRET, siteCalls, siteTarget, waitForCalls } from "./remote-support";

const base64 = (text: string) => btoa(text);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every spelling of a secret that must not show up anywhere. */
function forbidden(token: string): string[] {
  const pair = `${SITE_KEY}:${SITE_SECRET}`;
  return [SITE_SECRET, SITE_KEY, pair, base64(pair), base64(SITE_SECRET), encodeURIComponent(pair), token];
}

/** Runs echo_request in `mode` as a Task User; returns what everyone can see afterwards. */
async function echo(mode: string) {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((...parts: unknown[]) => {
      lines.push(parts.map(String).join(" "));
    });
  }
  const { name, host } = await siteTarget({ roles: ["Task User"] });
  const owner = await createKey(`echo-${uid()}`, ["Task User"]);
  const task = await enqueue({ method: `${name}:myapp.api.echo_request`, arguments: { mode }, max_retries: 0 }, owner);
  const ended = await waitForStatus(task.name, ["Finished", "Failed"]);
  if (mode.startsWith("callback")) await waitForCalls(host, task.name, (c) => c[0]?.background === "done");
  const token = (await siteCalls(host, task.name))[0]?.headers["x-switchyard-callback-token"] ?? "";
  expect(token, "the site saw a callback token").toMatch(/^\d+\./);
  const asOwner = await call(`/api/v1/tasks/${task.name}`, { key: owner });
  expect(asOwner.status).toBe(200);
  const list = await call(`/api/v1/tasks?limit=10`, { key: owner });
  const target = await call(`/api/v1/remote-targets/${name}`);
  const seen = [JSON.stringify(asOwner.body), JSON.stringify(list.body), JSON.stringify(target.body), lines.join("\n")];
  return { ended, owned: asOwner.body, target: target.body, seen: seen.join("\n"), token };
}

function expectClean(seen: string, token: string) {
  for (const secret of forbidden(token)) expect(seen, `leaked ${secret}`).not.toContain(secret);
}

describe("a remote that echoes our request", () => {
  it("its result keeps the headers it saw, with the credentials redacted", async () => {
    const { ended, owned, seen, token } = await echo("result");
    expect(ended.status).toBe("Finished");
    expect(owned.result.headers.authorization).toBe(`token ${REDACTED}`);
    expect(owned.result.headers["x-switchyard-callback-token"]).toBe(REDACTED);
    expect(owned.result.headers["x-switchyard-task"]).toBe(owned.name);
    expectClean(seen, token);
  });

  it("its error (a ValidationError quoting the request) and the target's last_error are redacted", async () => {
    const { ended, owned, target, seen, token } = await echo("error");
    expect(ended.status).toBe("Failed");
    expect(owned.error_message).toMatch(/^RemoteError: .* answered 417: ValidationError: Rejected request/);
    expect(owned.error_message).toContain(REDACTED);
    expect(target.last_error).toContain(REDACTED);
    expectClean(seen, token);
  });

  it("its callbacks — progress, status message, debug log and failure — are redacted", async () => {
    const { ended, owned, seen, token } = await echo("callback_fail");
    expect(ended.status).toBe("Failed");
    expect(owned.progress.description).toBe(`seen token ${REDACTED} and ${REDACTED}`);
    expect(owned.error_message).toContain(REDACTED);
    expect(owned.debug_log).toContain(REDACTED);
    expectClean(seen, token);
  });

  it("a callback's result is redacted too", async () => {
    const { ended, owned, seen, token } = await echo("callback_complete");
    expect(ended.status).toBe("Finished");
    expect(owned.result.headers.authorization).toBe(`token ${REDACTED}`);
    expect((await getTask(owned.name)).debug_log).toContain(REDACTED);
    expectClean(seen, token);
  });
});

describe("the redactor", () => {
  const redact = redactorFor({ api_key: "key-12345", api_secret: "secret-6789" }, "7.callbacktoken");

  it("replaces every spelling: as sent, JSON-escaped, URL-encoded and base64", () => {
    const text = `a key-12345:secret-6789 b ${btoa("key-12345:secret-6789")} c secret-6789 d 7.callbacktoken`;
    expect(redact.text(text)).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} d ${REDACTED}`);
    expect(redact.json({ "secret-6789": ["x key-12345"] })).toEqual({ [REDACTED]: [`x ${REDACTED}`] });
  });

  it("redacts the start of a secret cut off at the end of a clipped text", () => {
    expect(redact.text("the header was token key-12345:secr")).toBe(`the header was token ${REDACTED}`);
    expect(redact.text("quoted secret-67…")).toBe(`quoted ${REDACTED}…`);
    expect(redact.text("nothing to see")).toBe("nothing to see");
  });
});
