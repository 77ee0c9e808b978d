import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { type AutonomyHarness, startAutonomyHarness } from "./autonomyHarness.ts";

const operator: Actor = { source: "shell", id: "local:olive" };
let h: AutonomyHarness;
before(async () => {
  h = await startAutonomyHarness();
});
after(() => h.close());

test("a config change while SRR has configs frozen is a violation with its own incident", async () => {
  await h.beat();
  const stopped = await dispatch("stop fire drill", { app: h.app, actor: operator });
  assert.match(replyToText(stopped), /HALTED; INC-1 is open/);
  const kernel = h.app.autonomy();
  assert.equal((await kernel.srr()).state, "HALTED");
  const frozen = (await kernel.srr()).frozen ?? {};
  assert.ok(
    "stack:marketing_ops.yaml" in frozen &&
      "charter:charter.yml" in frozen &&
      "manifest:manifest.yml" in frozen,
  );

  // A heartbeat with nothing changed: heartbeats go on, no violation.
  await h.beat();
  assert.equal(h.app.ledger().query({ eventType: "GOVERNANCE_VIOLATION" }).length, 0);
  const beat = h.app.ledger().query({ eventType: "HEARTBEAT" }).at(-1)?.payload as { srr: string };
  assert.equal(beat.srr, "HALTED");

  appendFileSync(path.join(h.stacksDir, "marketing_ops.yaml"), "\n# edited during the halt\n");
  await h.beat();
  const violations = h.app.ledger().query({ eventType: "GOVERNANCE_VIOLATION" });
  assert.equal(violations.length, 1);
  assert.deepEqual(violations[0]?.payload, {
    rule: "config_changed_while_frozen",
    changes: [{ file: "stack:marketing_ops.yaml", change: "changed" }],
    frozenSince: (await kernel.srr()).since,
  });
  const inc2 = await kernel.incidents.mustGet("INC-2");
  assert.equal(inc2.trigger, "governance_violation");
  assert.match(inc2.summary, /config changed while frozen: stack:marketing_ops\.yaml changed/);
  assert.equal(inc2.report.evidence[0]?.seq, violations[0]?.seq);

  // The same change is reported once, not on every heartbeat.
  await h.beat();
  assert.equal(h.app.ledger().query({ eventType: "GOVERNANCE_VIOLATION" }).length, 1);

  const resume = replyToText(await dispatch("resume", { app: h.app, actor: operator }));
  assert.match(resume, /resume refused/);
  assert.match(resume, /INC-1 is not approved/);
  assert.match(resume, /INC-2 has no resolution note/);
  assert.equal(h.ledgerVerifies().ok, true);
});
