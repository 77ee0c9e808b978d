/**
 * Issue 8: every shipped stack runs as typed, with no inputs, on the offline provider; where its inputs
 * carry data (the sample fleet, the campaign's key message) the drafts are computed from it, and a
 * section the offline drafter cannot fill (an estimate's totals without rates) fails its check openly.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { run } from "../../commands/run.ts";
import { localActor } from "../../src/core/Actor.ts";
import { testApp } from "../helpers/testApp.ts";

const t = testApp();
after(() => t.cleanup());
const actor = localActor("cli");

const output = (s: Awaited<ReturnType<typeof run>>, agent: string) =>
  readFileSync(path.join(s.vault.path, `${agent}.md`), "utf8");

test("each shipped stack completes with no inputs", async () => {
  const verdicts: Record<string, boolean> = {};
  for (const stack of ["marketing_ops", "campaign_operator", "equipment_lead", "field_estimator"]) {
    const s = await run({ stack, inputs: {} }, actor, t.app);
    assert.equal(s.status, "completed", stack);
    verdicts[stack] = s.pass;
    if (stack === "equipment_lead") {
      // The sample fleet: 12 units, 4 available, 2 down; 42 of 70 available days on rent.
      const report = output(s, "agent_report_writer");
      assert.match(report, /Fleet time utilisation: 60% against a 70% target/);
      assert.match(report, /Units available now: 4 of 12/);
      assert.match(report, /Units down for repair: 2/);
      assert.match(report, /Service first: TH-202, SL-402/);
    }
    if (stack === "campaign_operator") {
      const pieces = output(s, "agent_content_producer");
      for (const channel of ["blog", "email_newsletter", "website_banner", "linkedin_company_page"])
        assert.match(pieces, new RegExp(`utm_source=${channel}&utm_medium=owned&utm_campaign=owned_media`));
    }
    if (stack === "field_estimator") {
      const failed = s.evaluation?.checks.filter((c) => !c.passed).map((c) => c.detail) ?? [];
      assert.deepEqual(failed, [
        `the required "Totals" section is filler: it says it needs the operator's facts`,
      ]);
    }
  }
  assert.deepEqual(verdicts, {
    marketing_ops: true,
    campaign_operator: true,
    equipment_lead: true,
    field_estimator: false,
  });
});
