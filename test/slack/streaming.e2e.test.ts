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

const CHANNEL = "C0STREAM";
const AGENTS = ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"];

describe("agent outputs stream into the run's thread as they are produced", () => {
  test("one stream per agent (startStream, appendStream, stopStream), paced on the channel's lane, not repeated in the result", async () => {
    const from = h.slack.messages.length;
    const callsFrom = h.slack.calls.length;
    await h.post(slashCommand("run marketing_ops event=Expo", "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    const mine = h.slack.messages.slice(from);
    const parent = mine.find((m) => !m.threadTs);
    assert.ok(parent);
    const streams = mine.filter((m) => m.stream !== undefined);
    assert.equal(streams.length, AGENTS.length, "one streamed message per agent");
    const vault = h.app.ledger().query({ eventType: "RUN_SEALED" }).at(-1)?.payload as { vaultPath: string };
    assert.ok(vault);
    for (const [i, s] of streams.entries()) {
      assert.equal(s.threadTs, parent.ts, "in the run's thread");
      assert.equal(s.stream, "stopped", "every stream is stopped");
      assert.match(s.streamed ?? "", new RegExp(`^\\*\\*${AGENTS[i]}\\*\\*\\n\\n`), "titled by its agent");
      assert.ok((s.streamed ?? "").length > 200, "the output itself");
    }
    const calls = h.slack.calls.slice(callsFrom).map((c) => c.method);
    assert.ok(calls.includes("chat.appendStream"), "text arriving after the start is appended");
    const start = h.slack.calls.slice(callsFrom).find((c) => c.method === "chat.startStream");
    assert.equal(start?.body.recipient_user_id, "U0OPERATOR");
    assert.equal(start?.body.recipient_team_id, "T0MAOS");

    // The result follows in the thread without repeating the streamed outputs.
    const result = JSON.stringify(
      mine.filter((m) => m.threadTs === parent.ts && !m.stream).map((m) => m.blocks),
    );
    assert.match(result, /streamed above in this thread/);
    for (const a of AGENTS) assert.ok(!result.includes(`**${a} (`), `${a} not repeated`);
  });

  test("a line the guardrails refuse is never streamed: the stream stops before it", async () => {
    const from = h.slack.messages.length;
    await h.post(slashCommand('run marketing_ops event="risk-free launch"', "U0OPERATOR", CHANNEL));
    await h.runtime.slack.idle();
    const stream = h.slack.messages.slice(from).find((m) => m.stream !== undefined);
    assert.ok(stream, "the planner started streaming");
    assert.equal(stream.stream, "stopped");
    assert.doesNotMatch(stream.streamed ?? "", /risk-free/i, "the blocked term never reached Slack");
    assert.match(stream.streamed ?? "", /withheld by the charter's guardrails/);
  });
});
