/**
 * Slack through the outbox: the evidence pack goes to the charter's channels, an item with a thread key
 * opens a thread that later items reply in, and a reply that takes several messages is resumed after
 * the last message Slack confirmed, so a retry never posts one twice.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { webApi } from "@slack/bolt";
import type { EvidenceDraft } from "../../src/relays/EvidencePublisher.ts";
import { slackWebClientOptions } from "../../src/slack/webClientOptions.ts";
import { ChannelRateLimiter } from "../../src/slackWire/channelRateLimiter.ts";
import { startFakeSlack } from "../fakes/slackWebApi.ts";
import { REPO, testApp } from "../helpers/testApp.ts";
import { testCause } from "./relayKit.ts";

const TOKEN = "xoxb-relay-test-token-0123456789";

function item(over: Partial<EvidenceDraft>): EvidenceDraft {
  const title = over.title ?? "INC-1 opened";
  return {
    kind: "incident",
    title,
    reply: { summary: title, parts: [{ kind: "text", text: title }] },
    markdown: "# INC-1\n",
    correlationId: "slack-sink",
    occurredAt: new Date("2026-11-21T15:00:00.000Z"),
    channel: "signals",
    ...over,
  };
}

test("evidence reaches the charter's channels in threads, and a partly posted reply resumes without repeats", async (t) => {
  const slack = await startFakeSlack({ token: TOKEN });
  const ta = testApp({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: "signing-secret-for-relay-tests",
    SLACK_API_URL: slack.url,
    MAOS_CHARTER: path.join(REPO, "test/fixtures/autonomy/charter.yml"),
  });
  t.after(async () => {
    await ta.cleanup();
    await slack.close();
  });
  const { app, clock } = ta;
  // The network drops one chosen chat.postMessage (the connection fails before Slack answers).
  let posts = 0;
  let dropPost = -1;
  const flaky = ((input: string | URL | Request, init?: RequestInit) => {
    if (String(input).includes("chat.postMessage") && ++posts === dropPost)
      return Promise.reject(new TypeError("fetch failed"));
    return app.egress().fetch(input, init);
  }) as typeof fetch;
  const client = new webApi.WebClient(TOKEN, {
    ...slackWebClientOptions({ apiUrl: slack.url }),
    fetch: flaky,
  });
  const attached: string[] = [];
  app.relays().attachSlack({
    client,
    limiter: new ChannelRateLimiter({ clock }),
    onApprovalMessage: async (id, channel, ts) => {
      attached.push(`${id}@${channel}/${ts}`);
    },
  });
  const publisher = app.relays().publisher();
  const d = app.relays().dispatcher();

  await publisher.publish(
    item({
      threadKey: "INC-1",
      reply: {
        summary: "INC-1 opened",
        parts: [{ kind: "approval", approvalId: "APR-1", prompt: "Approve INC-1?" }],
      },
    }),
    testCause("INC-1 opened"),
  );
  await publisher.publish(item({ title: "INC-1 approved", threadKey: "INC-1" }), testCause("INC-1 approved"));
  await publisher.publish(
    item({ kind: "seal", title: "MVP_v0 sealed", channel: "evidence" }),
    testCause("MVP_v0 sealed"),
  );
  assert.equal((await d.deliverDue()).delivered, 3);
  const root = slack.messages.find((m) => m.channel === "C0SIGNALS" && !m.threadTs);
  assert.ok(root, "the incident opens a message in signals");
  assert.deepEqual(attached, [`APR-1@C0SIGNALS/${root.ts}`], "its buttons make it the approval target");
  assert.ok(
    slack.messages.some((m) => m.threadTs === root.ts && /INC-1 approved/.test(m.text ?? "")),
    "the update is in its thread",
  );
  const sealMsg = slack.messages.find(
    (m) => m.channel === "C0EVIDENCE" && /MVP_v0 sealed/.test(m.text ?? ""),
  );
  assert.ok(sealMsg);
  // Every message carries the signed checkpoint covering its entry, verbatim, for an auditor to keep.
  const latest = app.ledger().latestCheckpoint();
  assert.ok(latest);
  assert.ok(JSON.stringify(sealMsg.blocks).includes(JSON.stringify(latest.note.trimEnd()).slice(1, -1)));
  assert.equal(sealMsg.metadata?.event_payload.note, latest.note);
  // In the signals channel people act on the message: one line shows, the note rides in the metadata.
  assert.equal(root.metadata?.event_type, "maos_ledger_checkpoint");
  assert.equal(root.metadata?.event_payload.note, latest.note);
  assert.ok(!JSON.stringify(root.blocks).includes("— maos-codex"), "no signature lines in the incident");
  assert.match(JSON.stringify(root.blocks), /Signed ledger checkpoint: size \d+/);
  const posted = app
    .ledger()
    .query({ eventType: "EVIDENCE_POSTED" })
    .map((e) => e.payload as { channel: string; ts: string });
  assert.equal(posted[0]?.ts, root.ts);

  // A reply of two messages (over 50 blocks): the second is lost; the retry posts only that one.
  const parts = Array.from({ length: 70 }, (_, i) => ({ kind: "text" as const, text: `line ${i}` }));
  const before = slack.callsTo("chat.postMessage").length;
  dropPost = posts + 2;
  await publisher.publish(
    item({ kind: "snapshot", title: "Daily summary", reply: { summary: "Daily summary", parts } }),
    testCause("Daily summary"),
  );
  const r1 = await d.deliverDue();
  assert.equal(r1.retried, 1);
  await clock.advance(60_000);
  const r2 = await d.deliverDue();
  assert.equal(r2.delivered, 1);
  const summaries = slack.messages.filter((m) => /Daily summary/.test(m.text ?? ""));
  assert.equal(summaries.length, 2, `two messages, each once (${summaries.map((m) => m.text).join(" | ")})`);
  assert.equal(
    slack.callsTo("chat.postMessage").length - before,
    2,
    "the first message was not posted again",
  );
  assert.equal(
    summaries[1]?.threadTs,
    summaries[0]?.ts,
    "the rest of the reply is in the first message's thread",
  );
});
