import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LedgerAppend } from "../../src/ledger/Ledger.ts";
import { type AutonomyHarness, startAutonomyHarness } from "./autonomyHarness.ts";

let h: AutonomyHarness;
before(async () => {
  h = await startAutonomyHarness();
});
after(() => h.close());

test("a governed act by an actor the charter does not know, and a new violation, both trip SRR", async () => {
  await h.beat();
  const ledger = h.app.ledger();
  // What a tool bypassing the command layer would leave: a resume by someone holding no operator role.
  const bypass = await ledger.append({
    eventType: "SRR_RESUMED",
    actor: "slack:U0MALLORY",
    correlationId: "bypass",
    payload: { roles: [] },
  } as LedgerAppend); // forged: not the shape the command layer writes, as a bypassing tool would leave it
  // And a recorded act by someone the charter does know passes the check.
  await ledger.append({
    eventType: "SRR_STOPPED",
    actor: "shell:local:olive",
    correlationId: "ok",
    payload: { roles: ["operator"] },
  } as LedgerAppend);
  const violation = await ledger.append({
    eventType: "GOVERNANCE_VIOLATION",
    level: "error",
    actor: "agent:agent_email_writer",
    correlationId: "run-x",
    payload: { rule: "blocked_term" },
  } as LedgerAppend);
  await h.beat();

  const mismatches = ledger.query({ eventType: "IDENTITY_MISMATCH" });
  assert.equal(mismatches.length, 1);
  assert.deepEqual(mismatches[0]?.payload, {
    seq: bypass.seq,
    eventType: "SRR_RESUMED",
    actor: "slack:U0MALLORY",
    permission: "resume",
    needed: ["operator"],
  });
  const kernel = h.app.autonomy();
  assert.equal((await kernel.srr()).state, "HALTED");
  const halted = ledger.query({ eventType: "SRR_HALTED" }).at(-1)?.payload as {
    triggers: { trigger: string }[];
  };
  assert.deepEqual(halted.triggers.map((t) => t.trigger).sort(), [
    "governance_violation",
    "identity_mismatch",
  ]);
  const incident = await kernel.incidents.mustGet("INC-1");
  assert.ok(incident.report.evidence.some((e) => e.seq === violation.seq));
  const beat = ledger.query({ eventType: "HEARTBEAT" }).at(-1)?.payload as {
    drift: { components: { name: string; points: number }[] };
  };
  assert.equal(
    beat.drift.components.find((c) => c.name === "governance")?.points,
    10,
    "one violation in the window",
  );

  // Scanned once: the next heartbeat neither re-reports nor opens another incident.
  await h.beat();
  assert.equal(ledger.query({ eventType: "IDENTITY_MISMATCH" }).length, 1);
  assert.equal(ledger.query({ eventType: "INCIDENT_OPENED" }).length, 1);
});
