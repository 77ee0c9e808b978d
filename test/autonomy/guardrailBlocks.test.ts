/**
 * One member cannot halt everything: a blocked term echoed into an output, or an input so long the
 * output breaks max_chars, fails that run with the reason in its reply (GUARDRAIL_BLOCKED) and counts
 * in drift, while the loop keeps RUNNING. Only blocks by one actor beyond the charter's
 * guardrails.max_blocks_per_actor are a violation of the system, and that halts at once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { startAutonomyHarness } from "./autonomyHarness.ts";

const member: Actor = { source: "shell", id: "local:mel" };
const slackMember: Actor = { source: "slack", id: "U0MEMBER" };

test("a guardrail block fails the run and tells the requester; only repeated blocks halt", async (t) => {
  const h = await startAutonomyHarness({
    charter: (yaml) => `${yaml}\nguardrails:\n  max_blocks_per_actor: 2\n`,
  });
  t.after(() => h.close());
  await h.beat();
  const kernel = h.app.autonomy();
  const count = (type: string) => h.app.ledger().query({ eventType: type }).length;

  const blocked = replyToText(
    await dispatch('run marketing_ops event="Risk-free Expo"', { app: h.app, actor: member }),
  );
  assert.match(blocked, /failed/i);
  assert.match(blocked, /the charter's guardrails blocked agent_\w+'s output \(blocked term "risk-free"\)/);
  assert.match(blocked, /rephrase the input/);
  assert.equal(count("GUARDRAIL_BLOCKED"), 1);
  assert.equal(count("GOVERNANCE_VIOLATION"), 0);

  // Another member on Slack is told the same way, and is counted on their own.
  const onSlack = replyToText(
    await dispatch('run marketing_ops event="Risk-free Expo"', { app: h.app, actor: slackMember }),
  );
  assert.match(onSlack, /blocked term "risk-free"/);

  // An input long enough that the output breaks the length limit is the same kind of block.
  const long = replyToText(
    await dispatch(`run marketing_ops event="${"Expo ".repeat(1000).trim()}"`, {
      app: h.app,
      actor: slackMember,
    }),
  );
  assert.match(long, /too long: \d+ chars, over the \d+ limit/);
  assert.equal(count("GUARDRAIL_BLOCKED"), 3);

  await h.beat();
  assert.equal((await kernel.srr()).state, "RUNNING", "blocks alone never halt");
  assert.equal((await kernel.incidents.list(undefined, 5)).length, 0);
  const beat = h.app.ledger().query({ eventType: "HEARTBEAT" }).at(-1)?.payload as {
    drift: { band: string; components: { name: string; points: number; detail: string }[] };
  };
  const governance = beat.drift.components.find((c) => c.name === "governance");
  assert.match(governance?.detail ?? "", /3 guardrail-blocked runs/);
  assert.equal(governance?.points, 15);
  assert.notEqual(beat.drift.band, "red");

  // mel's second block is at the threshold (2); the third goes beyond it: a violation, halted at once.
  await dispatch('run marketing_ops event="Risk-free Expo"', { app: h.app, actor: member });
  assert.equal((await kernel.srr()).state, "RUNNING");
  await dispatch('run marketing_ops event="Risk-free Expo"', { app: h.app, actor: member });
  await h.idle();
  const violations = h.app.ledger().query({ eventType: "GOVERNANCE_VIOLATION" });
  assert.equal(violations.length, 1);
  assert.deepEqual(
    { ...(violations[0]?.payload as Record<string, unknown>), evidence: undefined },
    {
      rule: "repeated_guardrail_blocks",
      actor: "shell:local:mel",
      blocks: 3,
      threshold: 2,
      windowMinutes: 60,
      evidence: undefined,
    },
  );
  assert.equal((await kernel.srr()).state, "HALTED");
  assert.equal((await kernel.incidents.mustGet("INC-1")).trigger, "governance_violation");
});
