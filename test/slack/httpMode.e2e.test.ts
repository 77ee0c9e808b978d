import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import type { FakeSlackMessage } from "../fakes/slackWebApi.ts";
import { reactionEvent, type SlackHarness, slashCommand, startSlackHarness } from "./slackTestKit.ts";

const CHANNEL = "C0OPS";

/** Block Kit's limits, restated independently of src/: the fake checks them too, this names the message. */
function assertBlockLimits(msg: FakeSlackMessage): void {
  const blocks = (msg.blocks ?? []) as {
    type: string;
    text?: { text: string } | string;
    fields?: { text: string }[];
  }[];
  assert.ok(blocks.length > 0 && blocks.length <= 50, `${blocks.length} blocks`);
  let chars = 0;
  for (const b of blocks) {
    const t = (typeof b.text === "string" ? b.text : b.text?.text)?.length ?? 0;
    if (b.type === "header") assert.ok(t <= 150, "header over 150");
    if (b.type === "section") assert.ok(t <= 3000, "section over 3000");
    if (b.type === "markdown") assert.ok(t <= 12000, "markdown block over 12000");
    chars += t + (b.fields ?? []).reduce((n, f) => n + f.text.length, 0);
  }
  assert.ok(chars <= 12000, `${chars} characters in one message`);
}

let h: SlackHarness;
const clock = new ManualClock("2026-11-21T15:00:00.000Z");

before(async () => {
  h = await startSlackHarness(clock);
});
after(async () => {
  await h?.close();
});

const entries = (type: string) => h.app.ledger().query({ eventType: type });

describe("Slack in HTTP mode, end to end against the fake Web API", () => {
  test("the relay routes are served by the same server; ssl_check passes unsigned", async () => {
    const health = await fetch(`${h.base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true });
    const ssl = await fetch(`${h.base}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "ssl_check=1&token=x",
    });
    assert.equal(ssl.status, 200);
    assert.equal((await fetch(`${h.base}/nowhere`)).status, 404);
  });

  test("/codex run: ack under 3 s, a parent message kept current, the result in its thread", async () => {
    const t0 = performance.now();
    const res = await h.post(slashCommand("run marketing_ops event=Expo"));
    const ackMs = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(ackMs < 3000, `ack took ${ackMs} ms`);
    await h.runtime.slack.idle();

    const parent = h.slack.messages.find((m) => m.channel === CHANNEL && !m.threadTs);
    assert.ok(parent, "a parent message in the channel");
    assert.ok(parent.updates >= 1, "kept up to date with chat.update");
    const updates = h.slack.callsTo("chat.update");
    assert.ok(updates.every((c) => c.body.ts === parent.ts));
    const finalParent = JSON.stringify(parent.blocks);
    assert.match(finalParent, /▓{20} 3\/3/, "the last update shows a full progress bar");
    assert.match(finalParent, /agent_campaign_planner\*: done, offline/);
    assert.match(finalParent, /sealed in commit/);

    const thread = h.slack.messages.filter((m) => m.threadTs === parent.ts);
    assert.ok(thread.length >= 1, "the result in the thread");
    // Streamed outputs (chat.startStream) carry markdown_text, checked by the fake; the rest are blocks.
    for (const m of thread.filter((x) => x.stream === undefined)) assertBlockLimits(m);
    const result = JSON.stringify(thread.map((m) => m.blocks));
    const completed = entries("RUN_COMPLETED");
    assert.equal(completed.length, 1);
    assert.equal(completed[0]?.actorIdentity, "slack:U0OPERATOR <operator@example.com>");
    const sealed = entries("RUN_SEALED")[0]?.payload as { sealRoot: string; commit: string };
    assert.ok(result.includes(sealed.sealRoot), "the seal root is in the result");
    assert.ok(result.includes(sealed.commit.slice(0, 7)), "the vault commit is in the result");
    assert.equal(h.slack.callsTo("users.info").length, 1);
  });

  test("another command reuses the cached identity; its ephemeral reply goes to the caller", async () => {
    await h.post(slashCommand("stacks"));
    await h.runtime.slack.idle();
    assert.equal(h.slack.callsTo("users.info").length, 1);
    const eph = h.slack.callsTo("chat.postEphemeral").at(-1);
    assert.equal(eph?.body.user, "U0OPERATOR");
  });

  test("reactions: an approver counts; a non-approver and the bot are refused on the record; a retry does nothing", async () => {
    const approval = await h.runtime.slack.requestApproval({
      kind: "incident",
      subjectId: "INC-1",
      requestedBy: { source: "slack", id: "U0OPERATOR" },
      prompt: "Resolve INC-1: provider errors above threshold",
      channel: CHANNEL,
    });
    assert.ok(approval.ts, "the approval message is registered");
    const msg = h.slack.messages.find((m) => m.ts === approval.ts);
    assert.match(JSON.stringify(msg?.blocks), /approval_approve/);
    const on = { channel: CHANNEL, ts: approval.ts, reaction: "white_check_mark" };

    assert.equal(
      (await h.post(reactionEvent({ ...on, eventId: "EvNON", user: "U0STRANGER" }), { json: true })).status,
      200,
    );
    assert.equal(
      (await h.post(reactionEvent({ ...on, eventId: "EvBOT", user: "U0CODEX" }), { json: true })).status,
      200,
    );
    await h.runtime.slack.idle();
    assert.equal((await h.runtime.approvals.get(approval.id))?.status, "open");
    // The two reactions are handled concurrently, so their entries may land in either order.
    const refused = entries("APPROVAL_REFUSED").map((e) => [
      e.actorIdentity,
      (e.payload as { reason: string }).reason,
    ]);
    assert.equal(refused.length, 2);
    const stranger = refused.find(([who]) => who === "slack:U0STRANGER");
    assert.match(stranger?.[1] ?? "", /needs the role approver or client_role:business_owner/);
    assert.ok(
      refused.some(([who, reason]) => who !== "slack:U0STRANGER" && /bot's own reactions/.test(reason ?? "")),
    );
    const told = h.slack.callsTo("chat.postEphemeral").filter((c) => c.body.user === "U0STRANGER");
    assert.equal(told.length, 1, "the non-approver is told why, privately");

    const approve = reactionEvent({ ...on, eventId: "EvAPPROVE", user: "U0APPROVER" });
    assert.equal((await h.post(approve, { json: true })).status, 200);
    await h.runtime.slack.idle();
    assert.equal((await h.runtime.approvals.get(approval.id))?.status, "approved");
    const accepted = entries("APPROVAL_ACCEPTED");
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.actorIdentity, "slack:U0APPROVER <approver@example.com>");

    const size = h.app.ledger().size();
    const calls = h.slack.calls.length;
    const retry = await h.post(approve, {
      json: true,
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    });
    assert.equal(retry.status, 200);
    await h.runtime.slack.idle();
    assert.equal(h.app.ledger().size(), size, "no ledger entry for the retry");
    assert.equal(h.slack.calls.length, calls, "no Slack call for the retry");

    await h.post(reactionEvent({ ...on, eventId: "EvREMOVE", user: "U0APPROVER", added: false }), {
      json: true,
    });
    await h.runtime.slack.idle();
    assert.equal(
      (await h.runtime.approvals.get(approval.id))?.status,
      "open",
      "removing the reaction revokes",
    );
    assert.equal(entries("APPROVAL_REVOKED").length, 1);
  });

  test("the Approve button decides like the emoji", async () => {
    const approval = await h.runtime.slack.requestApproval({
      kind: "incident",
      subjectId: "INC-2",
      requestedBy: { source: "slack", id: "U0OPERATOR" },
      prompt: "Resolve INC-2?",
      channel: CHANNEL,
    });
    const payload = {
      type: "block_actions",
      team: { id: "T0MAOS", domain: "maos-test" },
      user: { id: "U0APPROVER", username: "approver", team_id: "T0MAOS" },
      api_app_id: "A0MAOS",
      token: "verification-token-unused",
      trigger_id: "1.2.3",
      channel: { id: CHANNEL, name: "ops" },
      container: { type: "message", message_ts: approval.ts, channel_id: CHANNEL },
      message: { type: "message", ts: approval.ts, text: "approval" },
      response_url: "http://127.0.0.1:9/actions/unused",
      actions: [
        {
          type: "button",
          action_id: "approval_approve",
          block_id: "b1",
          value: approval.id,
          action_ts: "1790000200.000001",
          text: { type: "plain_text", text: "Approve" },
        },
      ],
    };
    const res = await h.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    assert.equal(res.status, 200);
    await h.runtime.slack.idle();
    const a = await h.runtime.approvals.get(approval.id);
    assert.equal(a?.status, "approved");
    assert.equal(a?.decidedVia, "button");
  });

  test("App Home: views.publish with runs, ledger verification, autonomy and open approvals", async () => {
    const body = JSON.stringify({
      token: "x",
      team_id: "T0MAOS",
      api_app_id: "A0MAOS",
      type: "event_callback",
      event_id: "EvHOME1",
      event_time: 1790000300,
      authorizations: [{ team_id: "T0MAOS", user_id: "U0CODEX", is_bot: true, enterprise_id: null }],
      event: {
        type: "app_home_opened",
        user: "U0OPERATOR",
        channel: "D0HOME",
        tab: "home",
        event_ts: "1790000300.000001",
      },
    });
    assert.equal((await h.post(body, { json: true })).status, 200);
    await h.runtime.slack.idle();
    const view = h.slack.homeViews.get("U0OPERATOR") as { blocks: unknown[] } | undefined;
    assert.ok(view);
    assert.ok(view.blocks.length <= 100);
    const text = JSON.stringify(view.blocks);
    assert.match(text, /marketing_ops/);
    assert.match(text, /verified \(\d+ entries/);
    assert.match(text, /not running yet/);
    assert.match(text, /APR-1/, "the revoked approval is open again");
    assert.doesNotMatch(text, /APR-2/, "the approved one is not open");
  });

  test("429 on chat.postMessage: the bot waits Retry-After on its clock, then delivers", async () => {
    h.slack.failNext("chat.postMessage", { retryAfter: 7 });
    const sleepsBefore = clock.sleeps.length;
    const postsBefore = h.slack.callsTo("chat.postMessage").length;
    const parentsBefore = h.slack.messages.filter((m) => !m.threadTs).length;
    assert.equal((await h.post(slashCommand("run marketing_ops event=Retry"))).status, 200);
    await h.runtime.slack.idle();
    assert.ok(clock.sleeps.slice(sleepsBefore).includes(7000), `slept ${clock.sleeps.slice(sleepsBefore)}`);
    const parents = h.slack.messages.filter((m) => !m.threadTs);
    assert.equal(parents.length, parentsBefore + 1, "the parent message was delivered after the wait");
    const parent = parents.at(-1);
    assert.ok(
      h.slack.messages.some((m) => m.threadTs === parent?.ts),
      "and the result in its thread",
    );
    const posts = h.slack.callsTo("chat.postMessage").slice(postsBefore);
    assert.deepEqual(posts[0]?.body.channel, posts[1]?.body.channel, "the refused call was retried");
    assert.equal(entries("RUN_COMPLETED").length, 2);
  });

  test("a forged or stale request is refused with 401 and nothing is done", async () => {
    const size = h.app.ledger().size();
    const calls = h.slack.calls.length;
    const forged = await h.post(slashCommand("run marketing_ops event=Forged"), {
      signature: `v0=${"0".repeat(64)}`,
    });
    assert.equal(forged.status, 401);
    const nowS = Math.floor(clock.now().getTime() / 1000);
    const stale = await h.post(slashCommand("run marketing_ops event=Stale"), { at: nowS - 400 });
    assert.equal(stale.status, 401);
    const smuggled = await fetch(`${h.base}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `ssl_check=1&${slashCommand("run marketing_ops event=Smuggled")}`,
    });
    assert.equal(smuggled.status, 200);
    await h.runtime.slack.idle();
    assert.equal(h.app.ledger().size(), size);
    assert.equal(h.slack.calls.length, calls);
  });
});
