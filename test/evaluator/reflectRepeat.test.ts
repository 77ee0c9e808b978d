/**
 * Issue 8, point 8: "reflect, then repeat, improved" is honest. The evaluator scores only the agents'
 * own copy (never the lesson lists or echoes the system appends), a required section that is a stub or
 * directions to a writer fails its check, and a lesson counts as applied only when the copy shows it.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, test } from "node:test";
import { run } from "../../commands/run.ts";
import { localActor } from "../../src/core/Actor.ts";
import { deterministicChecks } from "../../src/evaluator/deterministicChecks.ts";
import { evaluateRun } from "../../src/evaluator/evaluateRun.ts";
import type { RunSummary } from "../../src/executor/runStack.ts";
import { effectivePassThreshold } from "../../src/governance/charter.ts";
import { findStack } from "../../src/stacks/index.ts";
import { type TestApp, testApp } from "../helpers/testApp.ts";

const actor = localActor("cli");
const apps: TestApp[] = [];
after(async () => {
  for (const t of apps) await t.cleanup();
});

function fresh(): TestApp {
  const t = testApp();
  apps.push(t);
  return t;
}

async function marketingRun(t: TestApp): Promise<RunSummary> {
  const s = await run({ stack: "marketing_ops", inputs: {} }, actor, t.app);
  assert.equal(s.status, "completed");
  return s;
}

function outputsOf(s: RunSummary): { agent: string; role: string; output: string }[] {
  return s.steps.map((st) => ({
    agent: st.agent,
    role: st.role,
    output: readFileSync(path.join(s.vault.path, st.file ?? ""), "utf8"),
  }));
}

/** Scores `outputs` exactly as a marketing_ops run is scored, with the app's (offline) judge. */
async function score(t: TestApp, outputs: { agent: string; role: string; output: string }[]) {
  const stack = findStack(t.app.stacksDir, "marketing_ops");
  const deps = await t.app.runDeps();
  const c = stack.evaluator.checks;
  return evaluateRun(
    {
      persona: stack.persona,
      goal: stack.goal,
      outputs,
      spec: {
        criteria: stack.evaluator.criteria,
        threshold: effectivePassThreshold(deps.charter, stack.evaluator.passThreshold),
        checks: {
          requiredSections: c.requiredSections,
          bannedPhrases: c.bannedPhrases,
          ...(c.minChars === undefined ? {} : { minChars: c.minChars }),
          ...(c.maxChars === undefined ? {} : { maxChars: c.maxChars }),
        },
      },
      lessonsIn: [],
    },
    deps.hub,
  );
}

/** Replaces the body of each `## <title>` section with `body`. */
function withSectionBodies(markdown: string, titles: RegExp, body: string): string {
  return markdown.replace(
    /^(## (.+)\n)([\s\S]*?)(?=^## |(?![\s\S]))/gm,
    (all, head: string, title: string) => (titles.test(title) ? `${head}\n${body}\n\n` : all),
  );
}

async function seedLesson(t: TestApp, lesson: string): Promise<void> {
  await t.app.ledger().append({
    eventType: "WISDOM_RECORDED",
    actor: "local:tester",
    correlationId: randomUUID(),
    payload: { runId: randomUUID(), stack: "marketing_ops", score: 0.7, lessons: [lesson] },
  });
}

describe("filler never passes a required-section check", () => {
  const spec = { requiredSections: ["Email 1"], bannedPhrases: [] };
  const check = (body: string) => deterministicChecks(`# Copy\n\n## Email 1\n\n${body}\n`, spec)[0];

  test("a stub, directions to a writer, a placeholder or nothing at all fails, naming why", () => {
    const cases: [string, RegExp][] = [
      [
        'No input or upstream draft mentions email 1; this section needs the operator\'s facts for "Launch a campaign".',
        /needs the operator's facts/,
      ],
      ["Write the email here: a subject line, two short paragraphs and one call to action.", /instructions/],
      ["- Describe the event in one line\n- Mention the booth number", /instructions/],
      ["The bullets say what each paragraph must carry.", /instructions/],
      ["TBD", /empty|placeholder/],
      ["", /empty/],
    ];
    for (const [body, why] of cases) {
      const c = check(body);
      assert.equal(c?.passed, false, body);
      assert.match(c?.detail ?? "", /filler/, body);
      assert.match(c?.detail ?? "", why, body);
    }
  });

  test("real copy passes, and so does an imperative that is the deliverable (a recommendation)", () => {
    assert.equal(
      check(
        "Subject: Meet us at the Expo\n\nHi [First Name],\n\nWe will be at booth 4411. Book a 20-minute meeting.",
      )?.passed,
      true,
    );
    assert.equal(check("- Transfer two skid steers from Aurora to Joliet before Friday.")?.passed, true);
  });
});

describe("the offline marketing run", () => {
  test("scores lower with stub sections than with filled ones", async () => {
    const t = fresh();
    const s = await marketingRun(t);
    const filled = await score(t, outputsOf(s));
    assert.equal(filled.score, s.score, "re-scoring the sealed outputs gives the run's own score");
    assert.equal(filled.pass, true, JSON.stringify(filled.checks));

    const stub =
      'No input or upstream draft mentions this; this section needs the operator\'s facts for "Launch a lead-generation email campaign".';
    const stubbed = outputsOf(s).map((o) => ({
      ...o,
      output: withSectionBodies(o.output, /^(Sequence|Email \d)$/, stub),
    }));
    assert.ok(
      stubbed.some((o) => o.output.includes(stub)),
      "the stub replaced the sections",
    );
    const stubScore = await score(t, stubbed);
    assert.ok(stubScore.score < filled.score, `stubs ${stubScore.score} < filled ${filled.score}`);
    assert.equal(stubScore.pass, false);
    assert.deepEqual(
      stubScore.checks.filter((c) => !c.passed).map((c) => c.id),
      ["section:Sequence", "section:Email 1"],
    );
  });

  test("run 2 does not outscore run 1 by appended lesson text: lessons count only where the copy changed", async () => {
    const t = fresh();
    const first = await marketingRun(t);
    // A lesson this drafter has no rule for: it is appended to the drafts, unticked, and must earn nothing.
    const lesson = 'For "brand_voice": address matches, requested explicitly.';
    await seedLesson(t, lesson);
    const second = await marketingRun(t);
    assert.deepEqual(second.lessonsApplied, [lesson]);
    const outputs = outputsOf(second);
    assert.ok(
      outputs.some((o) => o.output.includes(`## Applied lessons`) && o.output.includes(`- [ ] ${lesson}`)),
      "the lesson list is appended to the drafts",
    );
    assert.equal(second.score, first.score, "the same copy scores the same, lesson list or not");
    assert.deepEqual(
      second.evaluation?.lessonChecks.map((c) => c.status),
      ["not applied"],
    );
    const digest = readFileSync(path.join(second.vault.path, "codex_digest_report.md"), "utf8");
    assert.match(digest, /0 of 1 applied, judged from the copy/);
    assert.match(digest, /❌ not applied: For "brand_voice"[^\n]*the copy does not cover matches, requested/);

    // Appending every rubric word as a lesson block changes nothing either.
    const stack = findStack(t.app.stacksDir, "marketing_ops");
    const words = stack.evaluator.criteria.map((c) => `- [x] ${c.id}: ${c.description}`).join("\n");
    const padded = outputs.map((o) => ({ ...o, output: `${o.output}\n## Applied lessons\n\n${words}\n` }));
    assert.equal((await score(t, padded)).score, (await score(t, outputs)).score);
  });

  test("a lesson the drafter can apply shows in the copy, the digest says so, and the score moves with the copy", async () => {
    const t = fresh();
    const first = await marketingRun(t);
    const lesson = 'For "compliance": address gdpr explicitly.';
    await seedLesson(t, lesson);
    const second = await marketingRun(t);
    const writer = outputsOf(second).find((o) => o.agent === "agent_email_writer")?.output ?? "";
    const email1 = writer.match(/^## Email 1\n([\s\S]*?)^## /m)?.[1] ?? "";
    assert.match(email1, /under the GDPR/, "GDPR is in the email's own copy");
    assert.deepEqual(second.evaluation?.lessonChecks, [
      { lesson, status: "applied", evidence: "the copy now covers gdpr" },
    ]);
    const digest = readFileSync(path.join(second.vault.path, "codex_digest_report.md"), "utf8");
    assert.match(digest, /1 of 1 applied, judged from the copy/);
    assert.match(digest, /✅ applied: For "compliance": address gdpr explicitly\./);
    const compliance = (s: RunSummary) =>
      s.evaluation?.criteria.find((c) => c.id === "compliance")?.score ?? 0;
    assert.ok(compliance(second) > compliance(first), "the GDPR line in the copy is what scores");
  });
});
