import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { type SlackHarness, slashCommand, startSlackHarness } from "./slackTestKit.ts";
import { runStorm } from "./storm.ts";

let h: SlackHarness;
const clock = new ManualClock("2026-11-21T15:00:00.000Z");

before(async () => {
  h = await startSlackHarness(clock);
});
after(async () => {
  await h?.close();
});

const entries = (type: string) => h.app.ledger().query({ eventType: type });

describe("HTTP mode under a storm of valid, forged, stale, replayed and oversized requests", () => {
  test("one signed run replayed 20 times runs once, and the replay is ledgered once", async () => {
    const body = slashCommand("run marketing_ops event=Replay");
    const answers: number[] = [];
    for (let i = 0; i < 20; i++) answers.push((await h.post(body)).status);
    assert.deepEqual(new Set(answers), new Set([200]), "every copy is acknowledged");
    await h.runtime.slack.idle();
    assert.equal(entries("RUN_STARTED").length, 1, "one run");
    assert.equal(entries("RUN_SEALED").length, 1, "one vault commit");
    const replays = entries("SLACK_REPLAY_IGNORED");
    assert.equal(replays.length, 1, "the replay is recorded once, not 19 times");
    const p = replays[0]?.payload as { by: string; what: string; channel: string };
    assert.equal(p.by, "signature");
    assert.equal(p.what, "/codex run");
    assert.equal(replays[0]?.actorIdentity, "slack:U0OPERATOR");
  });

  test("0 forged or stale accepted, 0 replays run, 0 resets, oversized refused without poisoning the connection", async () => {
    const ephemeralBefore = h.slack.callsTo("chat.postEphemeral").length;
    const runsBefore = entries("RUN_STARTED").length;
    const replaysBefore = entries("SLACK_REPLAY_IGNORED").length;
    const f = await runStorm({ base: h.base, now: Math.floor(clock.now().getTime() / 1000) });
    await h.runtime.slack.idle();

    assert.equal(f.accepted.forged, 0, "no forged request accepted");
    assert.equal(f.accepted.stale, 0, "no stale request accepted");
    assert.equal(f.refused.forged + f.refused.stale, f.sent.forged + f.sent.stale);
    assert.equal(f.accepted.oversized, 0);
    assert.equal(f.refused.oversized, f.sent.oversized, "every oversized body got its 413");
    assert.ok(
      f.results.filter((r) => r.kind === "oversized").every((r) => r.status === 413),
      "oversized bodies are answered 413",
    );
    assert.deepEqual(f.resets, { valid: 0, forged: 0, stale: 0, replayed: 0, oversized: 0 }, "no resets");
    assert.equal(f.accepted.valid, f.sent.valid, "every valid request acknowledged");
    assert.equal(f.accepted.replayed, f.sent.replayed, "replays are acknowledged");

    // Each valid `/codex help` answers with one ephemeral message; replays answer nothing.
    const answered = h.slack.callsTo("chat.postEphemeral").length - ephemeralBefore;
    assert.equal(answered, f.sent.valid, "0 replays run");
    assert.equal(entries("RUN_STARTED").length, runsBefore, "nothing forged or stale ran");
    assert.equal(
      entries("SLACK_REPLAY_IGNORED").length - replaysBefore,
      f.sent.replayed,
      "each replayed request recorded once",
    );
  });
});
