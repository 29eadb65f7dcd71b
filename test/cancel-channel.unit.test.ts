// The consumer's cancel channels: a socket that finishes opening after its attempts have ended is
// closed at once (it used to stay open with nobody listening).
import { describe, expect, it, vi } from "vitest";
import { CancelChannels } from "../src/consumer/cancel-channel";

/** An env whose method object answers the cancel-channel upgrade only once `open()` is called. */
function gatedObject() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  const closes: number[] = [];
  server.addEventListener("close", (event) => closes.push(event.code));
  let asked = 0;
  const env = {
    METHOD_TASKS: {
      getByName: () => ({
        fetch: async () => {
          asked++;
          await gate;
          return new Response(null, { status: 101, webSocket: pair[0] });
        },
      }),
    },
  } as unknown as Env;
  return { env, open: () => release(), closes, asked: () => asked };
}

describe("cancel channels", () => {
  it("close a socket that opened after every attempt it named had ended", async () => {
    const object = gatedObject();
    const channels = new CancelChannels(object.env, "demo.sleep", 0);
    const listening = channels.listen({ name: "T1", attempt: 1 }, () => undefined);
    await vi.waitUntil(() => object.asked() === 1);
    // The attempt ends while its channel is still opening; then the socket arrives.
    listening.stop();
    object.open();
    await vi.waitUntil(() => object.closes.length > 0);
    expect(object.closes).toEqual([1000]);
  });

  it("keep a socket open while an attempt it named still runs, and close it when that attempt ends", async () => {
    const object = gatedObject();
    const channels = new CancelChannels(object.env, "demo.sleep", 0);
    const listening = channels.listen({ name: "T2", attempt: 1 }, () => undefined);
    await vi.waitUntil(() => object.asked() === 1);
    object.open();
    // Opened and still needed: give the runtime a few turns, nothing closes it.
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    expect(object.closes).toEqual([]);
    listening.stop();
    await vi.waitUntil(() => object.closes.length > 0);
    expect(object.closes).toEqual([1000]);
  });
});
