import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { webApi } from "@slack/bolt";
import { ManualClock } from "../../src/core/clock.ts";
import { slackWebClientOptions } from "../../src/slack/webClientOptions.ts";
import {
  actions,
  button,
  context,
  header,
  progressBar,
  section,
  sections,
} from "../../src/slackWire/blockKit.ts";
import { ChannelRateLimiter } from "../../src/slackWire/channelRateLimiter.ts";
import { packMessages } from "../../src/slackWire/packMessages.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slackWebApi.ts";

const TOKEN = "xoxb-test-token";
const CHANNEL = "C0OPS";

let slack: FakeSlack;
let client: webApi.WebClient;

function newClient(token: string | undefined): webApi.WebClient {
  // The WebClient warns about a missing fallback `text` on purpose-built block messages; keep test output clean.
  return new webApi.WebClient(token, {
    ...slackWebClientOptions({ apiUrl: slack.url }),
    logLevel: webApi.LogLevel.ERROR,
  });
}

function platformError(error: string) {
  return (err: unknown) => err instanceof webApi.WebAPIPlatformError && err.data.error === error;
}

before(async () => {
  slack = await startFakeSlack({ token: TOKEN });
  client = newClient(TOKEN);
});
after(() => slack.close());
beforeEach(() => {
  slack.calls.length = 0;
});

describe("fake Slack Web API, driven by the real WebClient", () => {
  test("auth.test with the bearer token; a missing or wrong token is refused like Slack", async () => {
    const me = await client.auth.test();
    assert.equal(me.ok, true);
    assert.equal(me.user_id, "U0CODEX");
    assert.equal(slack.calls[0]?.headers.authorization, `Bearer ${TOKEN}`);
    await assert.rejects(newClient(undefined).auth.test(), platformError("not_authed"));
    await assert.rejects(newClient("xoxb-wrong").auth.test(), platformError("invalid_auth"));
  });

  test("chat.postMessage then chat.update keep one progress message current", async () => {
    const progress = (done: number) => [header("Run marketing_ops"), section(`\`${progressBar(done, 3)}\``)];
    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: "Run started",
      blocks: progress(0),
    });
    assert.equal(posted.ok, true);
    assert.equal(posted.channel, CHANNEL);
    assert.match(posted.ts ?? "", /^\d+\.\d{6}$/);
    const ts = posted.ts ?? "";
    for (const done of [1, 2, 3]) {
      await client.chat.update({ channel: CHANNEL, ts, text: `Run ${done}/3`, blocks: progress(done) });
    }
    const msg = slack.messages.find((m) => m.ts === ts);
    assert.equal(msg?.updates, 3);
    assert.deepEqual(msg?.blocks, progress(3), "blocks arrive intact through form encoding");
    assert.equal(slack.callsTo("chat.update").length, 3);
    await assert.rejects(
      client.chat.update({ channel: CHANNEL, ts: "1.000000", text: "x" }),
      platformError("message_not_found"),
    );
  });

  test("a long result packed by packMessages is accepted, message by message, in the thread", async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: "Run complete" });
    const output = Array.from({ length: 600 }, (_, i) => `${i}. ${"finding ".repeat(8)}`).join("\n");
    const messages = packMessages([header("Result"), ...sections(output), context("sealed · ledger #42")]);
    assert.ok(messages.length > 1);
    for (const blocks of messages) {
      const r = await client.chat.postMessage({
        channel: CHANNEL,
        thread_ts: parent.ts ?? "",
        text: "Result",
        blocks,
      });
      assert.equal(r.ok, true);
    }
    assert.equal(slack.messages.filter((m) => m.threadTs === parent.ts).length, messages.length);
  });

  test("blocks over Slack's limits are refused with invalid_blocks", async () => {
    const tooMany = Array.from({ length: 51 }, (_, i) => section(`s${i}`));
    await assert.rejects(
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: tooMany }),
      platformError("invalid_blocks"),
    );
    const tooLong = [{ type: "section" as const, text: { type: "mrkdwn" as const, text: "a".repeat(3001) } }];
    await assert.rejects(
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: tooLong }),
      platformError("invalid_blocks"),
    );
    const tooMuchText = Array.from({ length: 5 }, () => section("b".repeat(2900)));
    await assert.rejects(
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: tooMuchText }),
      platformError("invalid_blocks"),
    );
    await assert.rejects(client.apiCall("chat.postMessage", { channel: CHANNEL }), platformError("no_text"));
  });

  test("a 429 reaches the caller at once as WebAPIRateLimitedError with Retry-After", async () => {
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const started = performance.now();
    await assert.rejects(
      client.chat.postMessage({ channel: CHANNEL, text: "hi" }),
      (err: unknown) => err instanceof webApi.WebAPIRateLimitedError && err.retryAfter === 1,
    );
    assert.ok(performance.now() - started < 900, "the client did not sleep out the Retry-After itself");
    assert.equal(slack.callsTo("chat.postMessage").length, 1, "nor retry on its own");
  });

  test("ChannelRateLimiter waits out the 429 through the clock and retries the same call", async () => {
    const clock = new ManualClock();
    const limiter = new ChannelRateLimiter({ clock });
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const r = await limiter.schedule(CHANNEL, () =>
      client.chat.postMessage({ channel: CHANNEL, text: "after the 429" }),
    );
    assert.equal(r.ok, true);
    assert.deepEqual(clock.sleeps, [1000]);
    const posts = slack.callsTo("chat.postMessage");
    assert.equal(posts.length, 2);
    assert.deepEqual(posts[0]?.body, posts[1]?.body, "the same call was retried");
  });

  test("files.uploadV2: upload URL, the bytes, then completion in the thread", async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: "Run complete" });
    const content = `# Agent output\n\n${"long line of analysis ✓\n".repeat(2000)}`;
    const result = await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts ?? "",
      content,
      filename: "writer.md",
      title: "writer output",
    });
    assert.equal(result.ok, true);
    assert.deepEqual(
      slack.calls.map((c) => c.method).filter((m) => m !== "chat.postMessage"),
      ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"],
    );
    const up = slack.uploads.at(-1);
    assert.equal(up?.bytes?.toString("utf8"), content);
    assert.equal(up?.length, Buffer.byteLength(content));
    assert.deepEqual(
      [up?.completed, up?.channelId, up?.threadTs, up?.title],
      [true, CHANNEL, parent.ts, "writer output"],
    );
  });

  test("views.publish takes a Home tab of up to 100 blocks", async () => {
    const blocks = [header("MAOS Codex"), ...Array.from({ length: 99 }, (_, i) => section(`run ${i}`))];
    const r = await client.views.publish({ user_id: "U0OPERATOR", view: { type: "home", blocks } });
    assert.equal(r.ok, true);
    assert.equal((slack.homeViews.get("U0OPERATOR")?.blocks as unknown[] | undefined)?.length, 100);
    await assert.rejects(
      client.views.publish({
        user_id: "U0OPERATOR",
        view: { type: "home", blocks: [...blocks, section("one more")] },
      }),
      platformError("invalid_arguments"),
    );
  });

  test("users.info gives the email; user groups list their members", async () => {
    const info = await client.users.info({ user: "U0APPROVER" });
    assert.equal(info.user?.profile?.email, "approver@example.com");
    await assert.rejects(client.users.info({ user: "U0NOBODY" }), platformError("user_not_found"));
    const groups = await client.usergroups.list({ include_users: true });
    assert.deepEqual(
      groups.usergroups?.map((g) => [g.handle, g.users]),
      [
        ["operators", ["U0OPERATOR"]],
        ["approvers", ["U0APPROVER", "U0OPERATOR"]],
      ],
    );
    const members = await client.usergroups.users.list({ usergroup: "S0APPROVERS" });
    assert.deepEqual(members.users, ["U0APPROVER", "U0OPERATOR"]);
    await assert.rejects(
      client.usergroups.users.list({ usergroup: "S0NONE" }),
      platformError("no_such_subteam"),
    );
  });

  test("approval request: buttons, seeded reactions, a DM and an ephemeral notice", async () => {
    const req = await client.chat.postMessage({
      channel: CHANNEL,
      text: "Approval needed",
      blocks: [
        section("*Seal v3?*"),
        actions(
          button("Approve", "approve", { value: "run-1", style: "primary" }),
          button("Reject", "reject", { value: "run-1", style: "danger" }),
        ),
      ],
    });
    const ts = req.ts ?? "";
    await client.reactions.add({ channel: CHANNEL, timestamp: ts, name: "white_check_mark" });
    await client.reactions.add({ channel: CHANNEL, timestamp: ts, name: "x" });
    await assert.rejects(
      client.reactions.add({ channel: CHANNEL, timestamp: ts, name: "x" }),
      platformError("already_reacted"),
    );
    assert.deepEqual(slack.messages.find((m) => m.ts === ts)?.reactions, ["white_check_mark", "x"]);

    const dm = await client.conversations.open({ users: "U0APPROVER" });
    assert.match(dm.channel?.id ?? "", /^D/);
    assert.equal(
      (await client.conversations.open({ users: "U0APPROVER" })).channel?.id,
      dm.channel?.id,
      "same DM each time",
    );

    const eph = await client.chat.postEphemeral({
      channel: CHANNEL,
      user: "U0OPERATOR",
      text: "Only you can see this",
    });
    assert.equal(eph.ok, true);
  });

  test("unknown methods answer unknown_method; every call is recorded", async () => {
    await assert.rejects(client.apiCall("codex.nothing", { a: 1 }), platformError("unknown_method"));
    assert.deepEqual(slack.calls.at(-1)?.method, "codex.nothing");
    assert.equal(slack.calls.at(-1)?.body.a, "1", "form-encoded values arrive as strings, like Slack");
  });

  test("JSON bodies are accepted too", async () => {
    const res = await fetch(`${slack.url}chat.postMessage`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ channel: CHANNEL, blocks: [section("json")] }),
    });
    const body = (await res.json()) as { ok: boolean; ts?: string };
    assert.equal(body.ok, true);
    assert.deepEqual(slack.calls.at(-1)?.body.blocks, [section("json")]);
  });
});
