/**
 * Streaming from the real providers into Slack (issue 12): `/codex run` through the Slack fake, with the
 * prime an OpenAI or Anthropic fake that streams in its vendor's own SSE format. Each agent's output
 * streams into the run's thread (chat.startStream / appendStream / stopStream) and equals what was
 * sealed; a line the guardrails refuse never reaches Slack, even in part; a connection cut mid-answer
 * ends that stream with a note saying it is incomplete, and the result never passes it off as whole.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../fakes/anthropicServer.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";
import type { FakeSlackMessage } from "../fakes/slackWebApi.ts";
import { type SlackHarness, slashCommand, startSlackHarness } from "./slackTestKit.ts";

const AGENTS = ["agent_campaign_planner", "agent_email_writer", "agent_evaluator"];

/** A markdown draft of about 2,500 characters: longer than one streaming call carries. */
function draftFor(agent: string, extra: string[] = []): string {
  const lines = [`# ${agent} draft`, "", "## Summary", ""];
  for (let i = 1; i <= 24; i++) {
    lines.push(`- Point ${i}: the fleet team measured service interval ${i} across the Expo region.`);
  }
  lines.push(...extra, "", "## Next steps", "", "Review the figures with the regional leads.", "");
  return lines.join("\n");
}

const JUDGEMENT = {
  criteria: [
    { id: "audience_fit", score: 0.8, rationale: "Specific to the region." },
    { id: "clarity", score: 0.8, rationale: "One message per email." },
    { id: "compliance", score: 0.8, rationale: "No claims the data does not back." },
    { id: "brand_voice", score: 0.8, rationale: "Plain and direct." },
  ],
  lessons: ["Name the event in the first line."],
};

type Fake = FakeOpenAI | FakeAnthropic;
/** What both fakes' scripts take. */
type Script = Parameters<FakeAnthropic["script"]>[0];

interface Setup {
  h: SlackHarness;
  fake: Fake;
}

async function setup(kind: "openai" | "anthropic"): Promise<Setup> {
  // Backoff sleeps pass at once; a 60 s request timeout waits for an advance no test makes.
  const clock = new ManualClock("2026-11-21T15:00:00.000Z", { autoAdvanceMaxMs: 30_000 });
  if (kind === "openai") {
    const fake = await startFakeOpenAI();
    const h = await startSlackHarness(clock, {
      env: { MAOS_PRIME: "openai:gpt-test", OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: "sk-test-0000000000" },
    });
    return { h, fake };
  }
  const fake = await startFakeAnthropic();
  const h = await startSlackHarness(clock, {
    env: {
      MAOS_PRIME: "anthropic:claude-test",
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_API_KEY: "sk-ant-test-000000000000000000",
    },
  });
  return { h, fake };
}

/** Runs marketing_ops from a slash command and returns what the run put in Slack. */
async function run(s: Setup, channel: string) {
  const from = s.h.slack.messages.length;
  const callsFrom = s.h.slack.calls.length;
  const requestsFrom = s.fake.requests.length;
  await s.h.post(slashCommand("run marketing_ops event=Expo", "U0OPERATOR", channel));
  await s.h.runtime.slack.idle();
  const mine = s.h.slack.messages.slice(from);
  const parent = mine.find((m) => !m.threadTs);
  assert.ok(parent, "the run's parent message");
  const sealed = s.h.app.ledger().query({ eventType: "RUN_SEALED" }).at(-1)?.payload as { vaultPath: string };
  const runEnd = s.h.app
    .ledger()
    .query({ newestFirst: true, limit: 50 })
    .find((e) => ["RUN_COMPLETED", "RUN_FAILED", "RUN_CANCELLED"].includes(e.eventType));
  return {
    mine,
    parent,
    streams: mine.filter((m) => m.stream !== undefined),
    results: mine.filter((m) => m.threadTs === parent.ts && m.stream === undefined),
    calls: s.h.slack.calls.slice(callsFrom),
    requests: s.fake.requests.slice(requestsFrom),
    vault: path.join(s.h.home, "vault", sealed.vaultPath),
    runEnd: runEnd?.eventType,
  };
}

const everything = (ms: FakeSlackMessage[]) => JSON.stringify(ms.map((m) => [m.text, m.blocks, m.streamed]));

for (const kind of ["openai", "anthropic"] as const) {
  describe(`${kind}: agent outputs stream into Slack from the provider's own stream`, () => {
    let s: Setup;
    before(async () => {
      s = await setup(kind);
    });
    after(async () => {
      await s?.h.close();
      await s?.fake.close();
    });

    test("each draft is requested with stream: true, streamed into the thread in several calls, and equals the sealed output", async () => {
      s.fake.script([...AGENTS.map((a) => ({ text: draftFor(a) })), { json: JUDGEMENT }] as Script);
      const r = await run(s, "C0STREAMA");
      const drafts = r.requests.filter((q) =>
        (q.path ?? "").endsWith(kind === "openai" ? "/completions" : "/messages"),
      );
      const flags = drafts.map((q) => (q.body as { stream?: unknown }).stream === true);
      assert.deepEqual(
        flags,
        [true, true, true, false],
        "three streamed drafts, then the judge's JSON whole",
      );
      assert.equal(r.runEnd, "RUN_COMPLETED");
      assert.equal(r.streams.length, AGENTS.length, "one streamed message per agent");
      for (const [i, m] of r.streams.entries()) {
        const agent = AGENTS[i] as string;
        assert.equal(m.threadTs, r.parent.ts, "in the run's thread");
        assert.equal(m.stream, "stopped");
        assert.ok((m.appends ?? 0) >= 1, `${agent}: appended after its start (${m.appends})`);
        const sealed = readFileSync(path.join(r.vault, `${agent}.md`), "utf8");
        assert.equal(m.streamed?.trim(), `**${agent}**\n\n${sealed}`.trim(), `${agent}: streamed = sealed`);
      }
      assert.ok(r.calls.some((c) => c.method === "chat.appendStream"));
      assert.match(everything(r.results), /streamed above in this thread/);
    });

    test("a secret and a blocked term cut across stream chunks never reach Slack, even in part", async () => {
      const key = "AKIAABCDEFGHIJKLMNOP";
      s.fake.script([
        { text: draftFor(AGENTS[0] as string, ["", `The access key is ${key} for the uploader.`]) },
      ] as Script);
      const r = await run(s, "C0STREAMB");
      const planner = r.streams[0];
      assert.ok(planner, "the planner started streaming");
      assert.equal(planner.stream, "stopped");
      assert.match(planner.streamed ?? "", /withheld by the charter's guardrails/);
      assert.match(planner.streamed ?? "", /Point 24/, "the lines before it were streamed");
      assert.doesNotMatch(planner.streamed ?? "", /access key/, "the stream stopped before the line");
      const all = everything(r.mine);
      for (const fragment of ["AKIA", "ABCDEFGHIJKLMNOP"]) {
        assert.ok(!all.includes(fragment), `${fragment} never shown`);
      }
      assert.equal(r.runEnd, "RUN_FAILED", "the guardrails failed the run");

      s.fake.script([
        { text: draftFor(AGENTS[0] as string, ["", "A risk-free offer for every visitor."]) },
      ] as Script);
      const b = await run(s, "C0STREAMB");
      // The refusal names the rule and the term (issue 9); the line that carried it is never shown.
      assert.doesNotMatch(everything(b.mine), /offer for every visitor/, "the blocked line never shown");
      assert.doesNotMatch(b.streams[0]?.streamed ?? "", /risk/i);
    });

    test("a connection cut mid-answer: the stream says it is incomplete, the retry's whole output is in the result and sealed", async () => {
      s.fake.script([
        { text: draftFor(AGENTS[0] as string), dropAfter: 40 },
        { text: draftFor(AGENTS[0] as string) },
        ...AGENTS.slice(1).map((a) => ({ text: draftFor(a) })),
        { json: JUDGEMENT },
      ] as Script);
      const r = await run(s, "C0STREAMC");
      assert.equal(r.runEnd, "RUN_COMPLETED");
      const planner = r.streams[0];
      assert.ok(planner);
      assert.equal(planner.stream, "stopped");
      assert.match(planner.streamed ?? "", /_\(stopped: the answer broke off \(/);
      assert.match(
        planner.streamed ?? "",
        /so this text is incomplete; agent_campaign_planner was asked again/,
      );
      const sealed = readFileSync(path.join(r.vault, "agent_campaign_planner.md"), "utf8");
      const shown =
        (planner.streamed ?? "").replace(/^\*\*agent_campaign_planner\*\*\n\n/, "").split("_(stopped")[0] ??
        "";
      assert.ok(shown.length > 0 && sealed.startsWith(shown), "what was streamed is the start of the output");
      assert.ok(shown.length < sealed.length, "and only its start");
      // The result carries the planner's whole output (it was not streamed whole); the others are not repeated.
      const results = everything(r.results);
      assert.ok(results.includes("Review the figures with the regional leads."));
      assert.match(results, /Streamed above in this thread: agent_email_writer, agent_evaluator\./);
      assert.match(planner.streamed ?? "", /the connection closed before the answer was complete/);
      assert.match(results, /agent_campaign_planner/);
    });

    test("a connection cut on every attempt: the run fails saying so, nothing half-streamed is presented as an output", async () => {
      const cut = { text: draftFor(AGENTS[0] as string), dropAfter: 40 };
      s.fake.script([cut, cut, cut] as Script);
      const r = await run(s, "C0STREAMD");
      assert.equal(r.runEnd, "RUN_FAILED");
      const planner = r.streams[0];
      assert.ok(planner);
      assert.equal(planner.stream, "stopped");
      assert.match(planner.streamed ?? "", /so this text is incomplete/);
      const results = everything(r.results);
      assert.doesNotMatch(results, /streamed above in this thread/, "no claim the outputs were streamed");
      assert.match(everything([r.parent, ...r.results]), /failed/i);
      assert.match(everything([r.parent, ...r.results]), /agent_campaign_planner/);
      assert.throws(
        () => readFileSync(path.join(r.vault, "agent_campaign_planner.md")),
        "no partial output sealed",
      );
    });
  });
}
