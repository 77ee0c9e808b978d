import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";
import type { FakeSlackMessage } from "../fakes/slackWebApi.ts";
import { reactionEvent, slashCommand } from "../slack/slackTestKit.ts";
import { type AutonomyHarness, startAutonomyHarness, tamperLedgerRow } from "./autonomyHarness.ts";

const SIGNALS = "C0SIGNALS";
let h: AutonomyHarness;
let openai: FakeOpenAI;

before(async () => {
  openai = await startFakeOpenAI();
  h = await startAutonomyHarness({
    slack: true,
    env: {
      MAOS_PRIME: "openai:gpt-test",
      MAOS_BACKUP: "offline",
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: "sk-test-key-for-the-fake-openai-000000",
    },
  });
});
after(async () => {
  await h?.close();
  await openai?.close();
});

const entries = (type: string) => h.app.ledger().query({ eventType: type });
const lastBeat = () =>
  entries("HEARTBEAT").at(-1)?.payload as {
    drift: { score: number; band: string; components: { name: string; points: number }[] };
    ledger: { ok: boolean; firstBad?: { seq: number } };
  };
const signals = () => h.slack?.messages.filter((m) => m.channel === SIGNALS) ?? [];
const text = (m: FakeSlackMessage | undefined) => JSON.stringify(m?.blocks ?? m?.text ?? "");
const ephemeralTo = (user: string) =>
  h.slack
    ?.callsTo("chat.postEphemeral")
    .filter((c) => c.body.user === user)
    .at(-1)?.body ?? {};

function assertVerifies(step: string): void {
  const r = h.ledgerVerifies();
  assert.equal(r.ok, true, `${step}: the ledger verifies (${JSON.stringify(r.firstBad)})`);
}

describe("drift → STOP–RESET–REALIGN → incident → approval → resolution → RUNNING, on Slack", () => {
  let incidentMsg: FakeSlackMessage | undefined;
  let restore: (() => void) | undefined;

  test("activation from Slack reports the checklist; healthy cycles are green", async () => {
    await h.post(slashCommand("activate", "U0OPERATOR", "C0OPS"));
    await h.idle();
    const activated = entries("ACTIVATION_COMPLETED").at(-1)?.payload as {
      status: string;
      record: { checklist: { item: string; ok: boolean }[] };
    };
    assert.equal(activated.status, "NOT ACTIVE", "no seal yet");
    const failing = activated.record.checklist.filter((c) => !c.ok).map((c) => c.item);
    assert.deepEqual(failing, ["Seal created"]);
    const reply = h.slack?.messages.find(
      (m) => m.channel === "C0OPS" && /MVP activation checklist/.test(text(m)),
    );
    assert.ok(reply, "the checklist is posted where /codex activate was typed");
    assert.ok(
      h.slack?.messages.some((m) => m.channel === "C0EVIDENCE" && /activation started/.test(text(m))),
      "activation evidence goes to the evidence channel",
    );

    for (let i = 0; i < 3; i++) {
      await h.beat();
      assert.equal(lastBeat().drift.band, "green");
      assert.equal(lastBeat().drift.score, 0);
      assertVerifies(`healthy cycle ${i + 1}`);
    }
    assert.equal(signals().length, 0, "no heartbeat spam: nothing posted while the band stays green");
  });

  test("provider failures push drift to yellow, with an alert naming the top components", async () => {
    openai.script(Array.from({ length: 40 }, () => ({ status: 500 })));
    await h.post(slashCommand("run marketing_ops event=Expo", "U0OPERATOR", "C0OPS"));
    await h.idle();
    assert.equal(entries("RUN_COMPLETED").length, 1, "the offline backup carried the run");
    await h.beat();
    const beat = lastBeat();
    assert.equal(beat.drift.band, "yellow", JSON.stringify(beat.drift));
    const providers = beat.drift.components.find((c) => c.name === "provider_errors");
    assert.ok(providers && providers.points > 0);
    const alert = signals().at(-1);
    assert.match(text(alert), /Drift alert: green → yellow/);
    assert.match(text(alert), /provider_errors/);
    assertVerifies("yellow");
  });

  test("a tampered ledger scores red, halts the loop and opens INC-1 in the signals channel", async () => {
    restore = tamperLedgerRow(h.app.ledgerPath(), 3, (c) => c.replace('"level":"info"', '"level":"debug"'));
    const broken = h.ledgerVerifies();
    assert.equal(broken.ok, false, "tampering is caught");
    assert.equal(broken.firstBad?.seq, 3);

    await h.beat();
    const beat = lastBeat();
    assert.equal(beat.drift.score, 100, "custody failure scores 100 at once");
    assert.equal(beat.drift.band, "red");
    assert.equal(beat.ledger.ok, false);
    assert.match(text(signals().find((m) => /Drift alert: yellow → red/.test(text(m)))), /custody/);

    const kernel = h.app.autonomy();
    assert.equal((await kernel.srr()).state, "HALTED");
    const halted = entries("SRR_HALTED").at(-1)?.payload as { triggers: { trigger: string }[] };
    assert.deepEqual(halted.triggers.map((t) => t.trigger).sort(), ["custody_break", "drift_red"]);
    const incident = await kernel.incidents.mustGet("INC-1");
    assert.equal(incident.status, "open");
    assert.ok(
      incident.report.evidence.some((e) => e.eventType === "SRR_HALTED"),
      "ledger cross-links",
    );
    assert.ok(incident.report.frozen && Object.keys(incident.report.frozen).length > 2, "configs frozen");
    incidentMsg = signals().find(
      (m) => !m.threadTs && /INC-1/.test(text(m)) && /approval_approve/.test(text(m)),
    );
    assert.ok(incidentMsg, "the incident message carries the approval buttons");
    assert.equal(incident.approval?.ts, incidentMsg.ts, "the incident message is the approval target");
    assert.equal(h.ledgerVerifies().ok, false, "still broken until restored");

    // Runs wait while halted.
    await h.post(slashCommand("run marketing_ops event=Halted", "U0OPERATOR", "C0OPS"));
    await h.idle();
    assert.match(JSON.stringify(ephemeralTo("U0OPERATOR")), /runs are paused/);

    // The operator restores the ledger file from a backup.
    restore();
    assertVerifies("restored");
  });

  test("a non-approver's reaction is refused; the approver's is accepted", async () => {
    assert.ok(incidentMsg);
    const on = { channel: SIGNALS, ts: incidentMsg.ts, reaction: "white_check_mark" };
    await h.post(reactionEvent({ ...on, eventId: "EvINC1NON", user: "U0OPERATOR" }), true);
    await h.idle();
    const kernel = h.app.autonomy();
    assert.equal((await kernel.incidents.mustGet("INC-1")).approved, false);
    const refused = entries("APPROVAL_REFUSED").at(-1);
    assert.equal(refused?.actorIdentity, "slack:U0OPERATOR <operator@example.com>");
    assert.match(
      (refused?.payload as { reason?: string } | undefined)?.reason ?? "",
      /needs the role approver/,
    );

    await h.post(reactionEvent({ ...on, eventId: "EvINC1OK", user: "U0APPROVER" }), true);
    await h.idle();
    assert.equal((await kernel.incidents.mustGet("INC-1")).approved, true);
    assert.ok(
      signals().some((m) => m.threadTs === incidentMsg?.ts && /approved by/.test(text(m))),
      "the approval is announced in the incident's thread",
    );
    assertVerifies("approved");
  });

  test("resume is refused before the resolution, with its reasons", async () => {
    await h.post(slashCommand("resume", "U0OPERATOR", "C0OPS"));
    await h.idle();
    const told = JSON.stringify(ephemeralTo("U0OPERATOR"));
    assert.match(told, /resume refused/);
    assert.match(told, /INC-1 has no resolution note/);
    assert.equal((await h.app.autonomy().srr()).state, "HALTED");
    assert.equal(entries("SRR_RESUME_REFUSED").length, 1);
    assertVerifies("resume refused");
  });

  test("the resolution note, then resume: RUNNING again, and drift recovers", async () => {
    await h.post(
      slashCommand(
        "incident resolve INC-1 ledger.db restored from the nightly backup; no entries lost",
        "U0APPROVER",
        "C0OPS",
      ),
    );
    await h.idle();
    const kernel = h.app.autonomy();
    const inc = await kernel.incidents.mustGet("INC-1");
    assert.equal(inc.status, "resolved");
    assert.equal(inc.approval?.status, "consumed");
    assert.ok(signals().some((m) => m.threadTs === incidentMsg?.ts && /INC-1 resolved/.test(text(m))));

    await h.post(slashCommand("resume", "U0OPERATOR", "C0OPS"));
    await h.idle();
    assert.equal((await kernel.srr()).state, "RUNNING");
    assert.equal(entries("SRR_RESUMED").length, 1);
    assert.ok(signals().some((m) => m.threadTs === incidentMsg?.ts && /RUNNING again/.test(text(m))));

    await h.beat();
    assert.equal((await kernel.srr()).state, "RUNNING", "no second halt from the old incident's entries");
    assert.notEqual(lastBeat().drift.band, "red");
    assert.ok(signals().some((m) => /Drift recovery: red →/.test(text(m))));
    assert.equal(entries("INCIDENT_OPENED").length, 1);
    assertVerifies("running again");
  });
});
