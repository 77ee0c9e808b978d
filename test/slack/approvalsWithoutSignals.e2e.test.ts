import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type AutonomyHarness, startAutonomyHarness } from "../autonomy/autonomyHarness.ts";
import type { FakeSlackMessage } from "../fakes/slackWebApi.ts";
import { nextTriggerId, reactionEvent, slashCommand } from "./slackTestKit.ts";

/** The team's channel: the shipped charter has no channels.signals, so signals come here. */
const TEAM = "C0TEAM";
let h: AutonomyHarness;

before(async () => {
  h = await startAutonomyHarness({
    slack: true,
    // As shipped: no signals or evidence channel.
    charter: (yaml) => yaml.replace(/channels:\n {2}signals: C0SIGNALS\n {2}evidence: C0EVIDENCE\n/, ""),
  });
});
after(async () => {
  await h?.close();
});

const entries = (type: string) => h.app.ledger().query({ eventType: type });
const slack = () => {
  assert.ok(h.slack);
  return h.slack;
};
const blocksOf = (m: FakeSlackMessage | undefined) => JSON.stringify(m?.blocks ?? []);
const hasButtons = (m: FakeSlackMessage | undefined) => blocksOf(m).includes("approval_approve");
let eventN = 0;
const react = async (user: string, m: FakeSlackMessage, reaction: string, added = true) => {
  await h.post(
    reactionEvent({ eventId: `EvW${++eventN}`, user, reaction, channel: m.channel, ts: m.ts, added }),
    true,
  );
  await h.idle();
};
const click = async (user: string, m: FakeSlackMessage, approvalId: string) => {
  const payload = {
    type: "block_actions",
    team: { id: "T0MAOS", domain: "maos-test" },
    user: { id: user, username: user.toLowerCase(), team_id: "T0MAOS" },
    api_app_id: "A0MAOS",
    token: "verification-token-unused",
    trigger_id: nextTriggerId(),
    channel: { id: m.channel, name: "team" },
    container: { type: "message", message_ts: m.ts, channel_id: m.channel },
    message: { type: "message", ts: m.ts, text: "incident" },
    response_url: "http://127.0.0.1:9/actions/unused",
    actions: [
      {
        type: "button",
        action_id: "approval_approve",
        block_id: "b1",
        value: approvalId,
        action_ts: "1790000200.000001",
        text: { type: "plain_text", text: "Approve" },
      },
    ],
  };
  await h.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  await h.idle();
};

describe("approvals with the shipped charter (no channels.signals)", () => {
  let stopReply: FakeSlackMessage | undefined;
  let signalPost: FakeSlackMessage | undefined;

  test("/codex stop: the reply and the incident post land where the command came from, both with the Approve button", async () => {
    await h.post(slashCommand("stop drill of the approval path", "U0OPERATOR", TEAM));
    await h.idle();
    const inTeam = slack().messages.filter((m) => m.channel === TEAM && !m.threadTs);
    const withButtons = inTeam.filter(hasButtons);
    assert.equal(withButtons.length, 2, `two messages with buttons in ${TEAM}: ${inTeam.length} there`);
    stopReply = withButtons.find((m) => blocksOf(m).includes("The autonomy loop is HALTED; INC-1 is open"));
    signalPost = withButtons.find((m) => m !== stopReply);
    assert.match(blocksOf(stopReply), /The autonomy loop is HALTED; INC-1 is open/);
    assert.match(blocksOf(signalPost), /INC-1: governance incident/);
    assert.equal(entries("EVIDENCE_FAILED").length, 0, "no 'no channel' failure");
  });

  test("every reaction on a known approval message is ledgered: ignored, refused, accepted", async () => {
    assert.ok(stopReply);
    await react("U0APPROVER", stopReply, "eyes");
    const ignored = entries("APPROVAL_REACTION_IGNORED");
    assert.equal(ignored.length, 1, "a reaction that changes nothing is still on the record");
    await react("U0OPERATOR", stopReply, "white_check_mark");
    const refused = entries("APPROVAL_REFUSED").at(-1)?.payload as { reason: string };
    assert.match(refused.reason, /self-approval/, "the requester's own ✅ on the stop reply is refused");
  });

  test("approved by button: both messages are updated (approved by whom, no buttons); removing a ✅ does not revoke it", async () => {
    assert.ok(stopReply && signalPost);
    const approvalId = (await h.app.autonomy().incidents.get("INC-1"))?.approvalId;
    assert.ok(approvalId);
    await click("U0APPROVER", signalPost, approvalId);
    assert.equal((await h.app.approvals().get(approvalId))?.status, "approved");
    for (const m of [stopReply, signalPost]) {
      const now = slack().messages.find((x) => x.ts === m.ts);
      assert.ok((now?.updates ?? 0) >= 1, "chat.update on the message");
      assert.ok(!hasButtons(now), "its buttons are gone");
      // Named as a mention (Slack shows the display name), never by the email the ledger keeps.
      assert.match(blocksOf(now), /approved by <@U0APPROVER>/);
    }

    // Defect 6: an ✅ added and removed by the button's approver revokes nothing.
    await react("U0APPROVER", signalPost, "white_check_mark");
    await react("U0APPROVER", signalPost, "white_check_mark", false);
    assert.equal((await h.app.approvals().get(approvalId))?.status, "approved", "the button approval stands");
    assert.equal(entries("APPROVAL_REVOKED").length, 0);
    const last = entries("APPROVAL_REACTION_IGNORED").at(-1)?.payload as { reason: string; added: boolean };
    assert.equal(last.added, false);
    assert.match(last.reason, /given by button/);
  });

  test("resolved: the incident post reads resolved with the note; resume; resume again says there is nothing to resume", async () => {
    assert.ok(signalPost);
    await h.post(
      slashCommand("incident resolve INC-1 drill finished, nothing was wrong", "U0APPROVER", TEAM),
    );
    await h.idle();
    const root = slack().messages.find((x) => x.ts === signalPost?.ts);
    assert.match(blocksOf(root), /drill finished, nothing was wrong/);
    assert.match(blocksOf(root), /INC-1 is resolved/);
    assert.ok(!hasButtons(root));

    await h.post(slashCommand("resume", "U0OPERATOR", TEAM));
    await h.idle();
    assert.equal((await h.app.autonomy().srr()).state, "RUNNING");
    await h.post(slashCommand("resume", "U0OPERATOR", TEAM));
    await h.idle();
    const told = slack()
      .callsTo("chat.postEphemeral")
      .filter((c) => c.body.user === "U0OPERATOR")
      .at(-1)?.body;
    assert.match(String(told?.text), /^Nothing to resume: /);
    assert.doesNotMatch(String(told?.text), /\.:|HALTED/);
  });
});
