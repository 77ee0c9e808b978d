import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { type SlackHarness, slashCommand, startSlackHarness } from "./slackTestKit.ts";

let h: SlackHarness;
const clock = new ManualClock("2026-11-21T15:00:00.000Z");
before(async () => {
  h = await startSlackHarness(clock);
});
after(async () => {
  await h?.close();
});

const CHANNEL = "C0MSG";
const newMessages = (from: number) => h.slack.messages.slice(from);
const lastEphemeral = (user: string) =>
  String(
    h.slack
      .callsTo("chat.postEphemeral")
      .filter((c) => c.body.user === user)
      .at(-1)?.body.text ?? "",
  );
const ephemeralBlocks = (user: string) =>
  JSON.stringify(
    h.slack
      .callsTo("chat.postEphemeral")
      .filter((c) => c.body.user === user)
      .at(-1)?.body.blocks ?? [],
  );

describe("messages that read well", () => {
  test("a run's outputs appear once each, as markdown blocks, and no filesystem path is posted", async () => {
    const from = h.slack.messages.length;
    await h.post(slashCommand("run marketing_ops event=Expo", "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    // Streamed into the thread as it was produced (markdown), and not repeated with the result.
    const posted = JSON.stringify(newMessages(from).map((m) => m.blocks));
    for (const agent of ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"]) {
      const streamed = newMessages(from).filter((m) => m.streamed?.startsWith(`**${agent}**\n\n`)).length;
      const asDocument = posted.split(`**${agent} (`).length - 1;
      assert.equal(streamed + asDocument, 1, `${agent}'s output once`);
    }
    assert.doesNotMatch(posted, /full output/);
    assert.ok(!posted.includes(h.home), "the server's MAOS_HOME path is never posted");
    assert.match(posted, /sealed in vault folder \d{8}T\d{6}Z-marketing_ops-/);
    const parent = newMessages(from).find((m) => !m.threadTs);
    assert.doesNotMatch(JSON.stringify(parent?.blocks), /run_cancel/, "no Cancel button once it is over");
    const first = h.slack.callsTo("chat.postMessage").find((c) => c.body.channel === CHANNEL);
    assert.match(JSON.stringify(first?.body.blocks), /run_cancel/, "a Cancel button while it runs");
  });

  test("a failed run's parent message says it failed, with a full bar, not 'running agents'", async () => {
    const from = h.slack.messages.length;
    await h.post(slashCommand('run marketing_ops event="risk-free launch"', "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    const parent = newMessages(from).find((m) => !m.threadTs);
    const blocks = JSON.stringify(parent?.blocks);
    assert.match(blocks, /▓{20} 3\/3/);
    assert.match(blocks, /failed: .*agent_campaign_planner/);
    assert.doesNotMatch(blocks, /running agents/);
    assert.match(blocks, /🔴 Run marketing_ops/);
  });

  test("status posts no emails; help lists only the forms the caller may run", async () => {
    await h.post(slashCommand("status", "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    const status = JSON.stringify(h.slack.callsTo("chat.postMessage").at(-1)?.body.blocks ?? []);
    assert.match(status, /marketing_ops/);
    assert.doesNotMatch(status, /@example\.com/);

    await h.post(slashCommand("help", "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    const help = ephemeralBlocks("U0OPERATOR");
    assert.match(help, /\/codex incident \[list/);
    assert.doesNotMatch(help, /incident approve/, "an operator cannot approve incidents");
    assert.match(help, /\/codex cancel RUN/);
    await h.post(slashCommand("help", "U0APPROVER", CHANNEL));
    await h.runtime.slack.idle();
    assert.match(ephemeralBlocks("U0APPROVER"), /\/codex incident approve INC-n/);
    assert.doesNotMatch(lastEphemeral("U0APPROVER"), /\.:/);
  });
});
