import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { run } from "../../commands/run.ts";
import { localActor } from "../../src/core/Actor.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openaiServer.ts";
import { type TestApp, testApp } from "../helpers/testApp.ts";

const actor = localActor("cli");

describe("an offline run", () => {
  let t: TestApp;
  before(() => {
    t = testApp();
  });
  after(() => t.cleanup());

  test("runs every agent, scores, seals, commits and ledgers the run in order", async () => {
    const progress: string[] = [];
    const s = await run(
      { stack: "marketing_ops", inputs: { event: "Midwest Builders Expo 2027" } },
      actor,
      t.app,
      (e) => {
        // Streamed output pieces (issue 12) come between these; this test follows the steps.
        if (e.type === "output" || e.type === "output-end") return;
        progress.push(e.type === "step" ? `${e.agent}:${e.state}` : e.type);
      },
    );
    assert.equal(s.status, "completed");
    assert.equal(s.steps.length, 3);
    for (const step of s.steps) {
      assert.equal(step.provider, "offline");
      assert.equal(step.attempts, 1);
    }
    assert.ok(s.score > 0 && s.score <= 1);
    assert.match(s.seal.root, /^[0-9a-f]{64}$/);
    assert.deepEqual(progress.slice(0, 3), [
      "started",
      "agent_campaign_planner:running",
      "agent_campaign_planner:done",
    ]);
    assert.equal(progress.at(-1), "sealed");

    // The vault holds the sealed folder in a commit named for the stack, run id and root.
    const files = [
      "SEAL.json",
      "run.json",
      "codex_evaluation.json",
      "codex_digest_report.md",
      "agent_email_writer.md",
    ];
    for (const f of files) assert.ok(existsSync(path.join(s.vault.path, f)), f);
    const log = execFileSync("git", ["-C", path.join(t.home, "vault"), "log", "-1", "--format=%s"], {
      encoding: "utf8",
    });
    assert.match(
      log,
      new RegExp(`marketing_ops run ${s.runId.slice(0, 8)} root ${s.seal.root.slice(0, 16)}`),
    );
    const seal = JSON.parse(readFileSync(path.join(s.vault.path, "SEAL.json"), "utf8"));
    assert.equal(seal.root, s.seal.root);
    assert.match(seal.ledger.checkpoint, /^maos-codex\/ledger\n\d+\n/);

    // Every outline step is in the ledger, in order, threaded by the correlation id.
    const types = t.app
      .ledger()
      .byCorrelation(s.correlationId)
      .map((e) => e.eventType);
    assert.deepEqual(types, [
      "RUN_STARTED",
      "AGENT_ATTEMPT",
      "AGENT_STEP_COMPLETED",
      "AGENT_ATTEMPT",
      "AGENT_STEP_COMPLETED",
      "AGENT_ATTEMPT",
      "AGENT_STEP_COMPLETED",
      "AGENT_ATTEMPT",
      "EVALUATION_COMPLETED",
      "WISDOM_RECORDED",
      "RUN_COMPLETED",
      "RUN_SEALED",
    ]);
    const attempt = t.app.ledger().byCorrelation(s.correlationId)[1];
    for (const key of ["provider", "model", "attempt", "ms", "tokens"])
      assert.ok(key in ((attempt?.payload ?? {}) as object), key);
    assert.equal(s.ledger.size, t.app.ledger().size());

    const report = verifyLedger({ path: t.app.ledgerPath(), verifierKey: t.app.ledgerKey().verifierKey });
    assert.equal(report.ok, true);
    assert.equal(report.unattestedTail, 0, "the final checkpoint covers the RUN_SEALED entry");
    const vault = await (await t.app.vault()).verify();
    assert.equal(vault.ok, true);
  });

  test("undeclared inputs and unknown stacks are usage errors, with nothing written", async () => {
    const size = t.app.ledger().size();
    // Issue 8: marketing_ops with no inputs runs on its defaults; a misspelt input is still refused.
    await assert.rejects(run({ stack: "marketing_ops", inputs: { evnt: "Expo" } }, actor, t.app), {
      code: "USAGE",
    });
    await assert.rejects(run({ stack: "no_such_stack", inputs: {} }, actor, t.app), {
      code: "STACK_NOT_FOUND",
    });
    assert.equal(t.app.ledger().size(), size);
  });
});

describe("wisdom: reflect, then repeat, improved", () => {
  const env = withFakePrime();

  const judge = (lesson: string) => ({
    json: {
      criteria: [
        { id: "audience_fit", score: 0.9, rationale: "names the segments" },
        { id: "clarity", score: 0.8, rationale: "short paragraphs" },
        { id: "compliance", score: 0.9, rationale: "has an unsubscribe line" },
        { id: "brand_voice", score: 0.7, rationale: "mostly on tone" },
      ],
      lessons: [lesson],
    },
  });
  const draft = (title: string) => ({
    // Required sections hold a few words each: an empty one is filler and fails its check (issue 8).
    text: `## Segments\n${title}\n## Timeline\nweek 1\n## Channels\nemail\n## Sequence\nthree emails, three weeks\n## Email 1\nHi, meet us at the booth\n## Verdict\nready to send\n${"detail ".repeat(200)}`,
  });

  test("run N+1's prompts carry run N's lessons", async () => {
    const fake = env.fake();
    const t = env.t();
    const lesson = "Name the keynote speaker in the first line of every email";
    fake.script([draft("plan"), draft("copy"), draft("review"), judge(lesson)]);
    const first = await run({ stack: "marketing_ops", inputs: { event: "Expo" } }, actor, t.app);
    assert.equal(first.status, "completed");
    assert.ok(first.evaluation?.lessons.includes(lesson));
    const before = fake.requests.length;
    for (const r of fake.requests) assert.doesNotMatch(JSON.stringify(r.body), /keynote speaker/);

    fake.script([draft("plan"), draft("copy"), draft("review"), judge("Keep it short")]);
    const second = await run({ stack: "marketing_ops", inputs: { event: "Expo" } }, actor, t.app);
    assert.deepEqual(second.lessonsApplied, [lesson]);
    const drafts = fake.requests.slice(before, before + 3);
    assert.equal(drafts.length, 3);
    for (const r of drafts) assert.match(JSON.stringify(r.body), /Name the keynote speaker/);
    const log = readFileSync(path.join(t.home, "vault", "codex_wisdom_log.md"), "utf8");
    assert.match(log, /Name the keynote speaker/);
    assert.match(log, /Keep it short/);
  });
});

describe("failover inside a run", () => {
  const env = withFakePrime({ MAOS_BACKUP: "offline" });

  test("a prime answering 503 three times fails over to the backup; every attempt is ledgered", async () => {
    const fake = env.fake();
    const t = env.t();
    fake.script([{ status: 503 }, { status: 503 }, { status: 503 }]);
    const s = await run(
      { stack: "field_estimator", inputs: { project: "Warehouse slab", location: "Peoria, IL" } },
      actor,
      t.app,
    );
    const first = s.steps[0];
    assert.equal(first?.provider, "offline");
    assert.equal(first?.attempts, 4);
    const attempts = t.app
      .ledger()
      .byCorrelation(s.correlationId)
      .filter((e) => e.eventType === "AGENT_ATTEMPT")
      .slice(0, 4)
      .map((e) => e.payload as { provider: string; errorClass?: string; status?: number; outcome: string });
    assert.deepEqual(
      attempts.map((a) => [a.provider, a.outcome, a.status ?? null]),
      [
        ["openai:gpt-test", "error", 503],
        ["openai:gpt-test", "error", 503],
        ["openai:gpt-test", "error", 503],
        ["offline", "ok", null],
      ],
    );
    assert.deepEqual(
      t.clock.sleeps.filter((ms) => ms < 30_000).length >= 2,
      true,
      "backoff waited through the clock",
    );
  });

  test("a 400 is never retried nor failed over: the run fails and is still sealed", async () => {
    const fake = env.fake();
    const t = env.t();
    fake.script([{ status: 400 }]);
    const s = await run(
      { stack: "field_estimator", inputs: { project: "Warehouse slab", location: "Peoria, IL" } },
      actor,
      t.app,
    );
    assert.equal(s.status, "failed");
    assert.equal(s.error?.code, "PROVIDER_REJECTED");
    assert.equal(s.steps[0]?.attempts, 1);
    assert.deepEqual(
      s.steps.slice(1).map((x) => x.status),
      ["skipped", "skipped"],
    );
    assert.ok(existsSync(path.join(s.vault.path, "run.json")));
    const types = t.app
      .ledger()
      .byCorrelation(s.correlationId)
      .map((e) => e.eventType);
    assert.ok(types.includes("RUN_FAILED"));
  });
});

/** A test app whose prime is an OpenAI-compatible fake on loopback, for the life of the enclosing describe. */
function withFakePrime(extraEnv: Record<string, string> = {}): { fake: () => FakeOpenAI; t: () => TestApp } {
  let fake: FakeOpenAI | undefined;
  let t: TestApp | undefined;
  before(async () => {
    fake = await startFakeOpenAI();
    t = testApp({
      MAOS_PRIME: "openai:gpt-test",
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: "sk-test-0000000000",
      ...extraEnv,
    });
  });
  after(async () => {
    await t?.cleanup();
    await fake?.close();
  });
  const must = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error("used before the describe's before() ran");
    return v;
  };
  return { fake: () => must(fake), t: () => must(t) };
}
