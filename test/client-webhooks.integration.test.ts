// The TypeScript client's verifyWebhook on real deliveries: a completion event a subscription sent
// to a real receiver verifies with the subscription's secret, and not once altered or under another.
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookVerificationError } from "../clients/typescript/src/index";
import { uid } from "./api-support";
import { call, createKey, enqueue, waitForStatus } from "./helpers";
import { newInbox, waitForHooks } from "./hook-support";

describe("verifyWebhook", () => {
  it("accepts a delivered completion event and refuses it altered, late or under another secret", async () => {
    const key = await createKey(`hooks-${uid()}`);
    const inbox = newInbox();
    const sub = await call("/api/v1/webhooks", {
      key,
      body: { method: "demo.echo", events: ["task.finished"], url: inbox.url },
    });
    expect(sub.status).toBe(201);
    const secret: string = sub.body.signing_secret;
    const task = await enqueue({ method: "demo.echo", arguments: { hello: "world" } }, key);
    await waitForStatus(task.name, "Finished");
    const [record] = await waitForHooks(inbox.url, 1);
    if (record === undefined) throw new Error("nothing arrived");

    const event = await verifyWebhook({ headers: record.headers, body: record.body, secret });
    expect(event).toMatchObject({ id: record.headers["webhook-id"], type: "task.finished" });
    expect(event.data).toMatchObject({ name: task.name, status: "Finished" });
    const bytes = await verifyWebhook({
      headers: new Headers(record.headers),
      body: new TextEncoder().encode(record.body),
      secret,
    });
    expect(bytes.id).toBe(event.id);

    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => "accepted",
        (e: unknown) => (e instanceof WebhookVerificationError ? e.reason : String(e)),
      );
    expect(
      await refusal(
        verifyWebhook({ headers: record.headers, body: record.body.replace("Finished", "Failed"), secret }),
      ),
    ).toBe("no-matching-signature");
    const other = "whsec_" + btoa("0123456789abcdef0123456789abcdef");
    expect(await refusal(verifyWebhook({ headers: record.headers, body: record.body, secret: other }))).toBe(
      "no-matching-signature",
    );
    expect(await refusal(verifyWebhook({ headers: record.headers, body: record.body, secret: [other, secret] }))).toBe(
      "accepted",
    );
    const sentAt = Number(record.headers["webhook-timestamp"]);
    expect(
      await refusal(verifyWebhook({ headers: record.headers, body: record.body, secret, nowS: sentAt + 301 })),
    ).toBe("timestamp-too-old");
    const { ["webhook-signature"]: _dropped, ...unsigned } = record.headers;
    expect(await refusal(verifyWebhook({ headers: unsigned, body: record.body, secret }))).toBe("missing-headers");
  });
});
