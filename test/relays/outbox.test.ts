import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { redriveOutcome } from "../../commands/relay.ts";
import { statusReply } from "../../commands/status.ts";
import { localActor } from "../../src/core/Actor.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import type { EvidenceDraft } from "../../src/relays/EvidencePublisher.ts";
import { evidenceRecords } from "../../src/relays/evidenceRecord.ts";
import { markdownToBlocks } from "../../src/relays/notion/markdownBlocks.ts";
import { DEFAULT_RETRY_BUDGET_MS } from "../../src/relays/OutboxDispatcher.ts";
import { TW_CREATE_COMMENT, TW_CREATE_TASK } from "../fakes/teamworkServer.ts";
import { type TestApp, testApp } from "../helpers/testApp.ts";
import { pageKeys, type RelayFakes, startRelayFakes, teamworkKeys, testCause } from "./relayKit.ts";

let n = 0;
function item(over: Partial<EvidenceDraft> = {}): EvidenceDraft {
  n++;
  return {
    kind: "activation",
    title: `Activation ${n}`,
    reply: { summary: `activation ${n}`, parts: [{ kind: "text", text: `activation ${n}` }] },
    markdown: `# Activation ${n}\n\nAll checks pass.\n\n- relay online\n- ledger healthy\n`,
    correlationId: `corr-${n}`,
    occurredAt: new Date("2026-11-21T15:00:00.000Z"),
    channel: "evidence",
    ...over,
  };
}

describe("the evidence outbox: Notion and Teamwork relays", () => {
  let fakes: RelayFakes;
  let t: TestApp;
  before(async () => {
    fakes = await startRelayFakes();
    t = testApp(fakes.env);
  });
  after(async () => {
    await t.cleanup();
    await fakes.close();
  });

  test("the causing entry and its outbox rows commit in one transaction: the rows reference its seq", async () => {
    const { app } = t;
    const ledger = app.ledger();
    const entry = await app
      .relays()
      .publisher()
      .publish(item({ correlationId: "corr-atomic" }), testCause("corr-atomic", { what: "activation" }));
    const stored = ledger.query({ eventType: "TEST_EVIDENCE" }).at(-1);
    assert.ok(stored);
    assert.equal(stored.seq, entry.seq);
    assert.equal((stored.payload as { what: string }).what, "activation", "the cause's own payload is kept");
    const [record] = evidenceRecords(stored);
    assert.ok(record?.key);
    assert.deepEqual(record.sinks, ["notion", "teamwork"]);
    assert.equal(
      ledger.query({ eventType: "EVIDENCE_QUEUED" }).length,
      0,
      "no second entry: the cause says it",
    );
    const rows = await app.relays().outbox().byLedgerSeq(entry.seq);
    assert.deepEqual(
      rows.map((r) => [r.sink, r.status, r.body.key, r.body.item.ledgerSeq]),
      [
        ["notion", "pending", record.key, entry.seq],
        ["teamwork", "pending", record.key, entry.seq],
      ],
    );
    // Written in the entry's own batch: stamped with the entry's time.
    assert.ok(rows.every((r) => r.createdUtc === entry.timestampUtc));
    const pass = await app.relays().dispatcher().deliverDue();
    assert.equal(pass.delivered, 2);
    const posted = ledger
      .query({ eventType: "EVIDENCE_POSTED" })
      .map((e) => e.payload as { ledgerSeq: number });
    assert.ok(posted.length === 2 && posted.every((p) => p.ledgerSeq === entry.seq));
    assert.deepEqual(fakes.problems(), []);
  });

  test("an outbox insert that fails takes its causing entry with it: neither is written", async () => {
    const { app } = t;
    const ledger = app.ledger();
    // A failure inside the transaction (here: the outbox refuses the insert) writes neither.
    const db = new Database(app.ledgerPath());
    db.exec(
      "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    const size = ledger.size();
    const pending = (await app.relays().counts()).pending;
    try {
      await assert.rejects(
        app
          .relays()
          .publisher()
          .publish(item({ correlationId: "corr-refused" }), testCause("corr-refused")),
        /could not write 1 ledger entries/,
      );
    } finally {
      db.exec("DROP TRIGGER refuse_outbox");
      db.close();
    }
    assert.equal(ledger.size(), size, "no causing entry without its outbox rows");
    assert.deepEqual(ledger.byCorrelation("corr-refused"), [], "the cause was not written");
    assert.equal((await app.relays().counts()).pending, pending, "no outbox row without its causing entry");

    // The ledger goes on from where it was, and its proofs hold: the outbox is outside the chain.
    const next = await app
      .relays()
      .publisher()
      .publish(item({ correlationId: "corr-after" }), testCause("corr-after"));
    assert.equal(next.seq, size);
    assert.equal((await app.relays().outbox().byLedgerSeq(next.seq)).length, 2);
    assert.equal((await app.relays().dispatcher().deliverDue()).delivered, 2);
    const v = verifyLedger({ path: app.ledgerPath(), verifierKey: app.ledgerKey().verifierKey });
    assert.equal(v.ok, true, JSON.stringify(v.firstBad));
    assert.deepEqual(fakes.problems(), []);
  });

  test("one cause can carry several items: each has its key and rows, all on the cause's seq", async () => {
    const { app } = t;
    const entry = await app
      .relays()
      .publisher()
      .publish(
        [
          item({ title: "INC-7 resumed", threadKey: "INC-7" }),
          item({ title: "INC-8 resumed", threadKey: "INC-8" }),
        ],
        testCause("corr-several"),
      );
    const records = evidenceRecords(entry);
    assert.deepEqual(
      records.map((r) => [r.title, r.threadKey, r.sinks]),
      [
        ["INC-7 resumed", "INC-7", ["notion", "teamwork"]],
        ["INC-8 resumed", "INC-8", ["notion", "teamwork"]],
      ],
    );
    const rows = await app.relays().outbox().byLedgerSeq(entry.seq);
    assert.equal(rows.length, 4);
    assert.deepEqual(new Set(rows.map((r) => r.body.key)), new Set(records.map((r) => r.key)));
    assert.equal((await app.relays().dispatcher().deliverDue()).delivered, 4);
    assert.deepEqual(fakes.problems(), []);
  });

  test("pages carry typed properties; Teamwork gets one task per seal version and comments after it", async () => {
    const { app } = t;
    const before = { pages: fakes.notion.pages.length, tasks: fakes.teamwork.tasks.length };
    const items = [
      item({
        kind: "drift",
        title: "Drift alert: green → yellow (14)",
        drift: 14,
        governanceStatus: "RUNNING",
      }),
      item({
        kind: "seal",
        title: "MVP_v1 sealed",
        sealVersion: "v1",
        vaultCommit: "a".repeat(40),
      }),
      item({
        kind: "incident",
        title: "INC-1 opened",
        sealVersion: "v1",
        governanceStatus: "HALTED",
        threadKey: "INC-1",
      }),
    ];
    const seqs: number[] = [];
    for (const i of items)
      seqs.push((await app.relays().publisher().publish(i, testCause(i.correlationId))).seq);
    const pass = await app.relays().dispatcher().deliverDue();
    assert.equal(pass.delivered, 6);
    assert.equal(fakes.notion.pages.length, before.pages + 3);
    const drift = fakes.notion.pages.find((p) => JSON.stringify(p.properties).includes("Drift alert"));
    assert.ok(drift);
    assert.deepEqual(drift.properties.Kind, { select: { name: "drift" } });
    assert.deepEqual(drift.properties.Drift, { number: 14 });
    assert.deepEqual(drift.properties["Ledger seq"], { number: seqs[0] }, "the causing entry's seq");
    assert.deepEqual(drift.properties["Governance status"], { select: { name: "RUNNING" } });
    assert.deepEqual(
      drift.properties.Date,
      { date: { start: "2026-11-21T09:00:00.000-06:00" } },
      "America/Chicago",
    );
    assert.deepEqual(
      drift.properties["Seal version"],
      { select: { name: "v0" } },
      "the seal in force: none yet, v0",
    );
    assert.ok(drift.children.length > 0, "the markdown is the page body");

    const v0 = fakes.teamwork.tasks.filter((x) => x.name === "[SYSTEM] MAOS MVP v0 Activation — Evidence");
    const v1 = fakes.teamwork.tasks.filter((x) => x.name === "[SYSTEM] MAOS MVP v1 Activation — Evidence");
    assert.equal(v0.length, 1, "one task for v0: later v0 evidence went in as comments");
    assert.equal(v1.length, 1);
    assert.equal(fakes.teamwork.tasks.length, before.tasks + 1);
    assert.ok((v0[0]?.comments.length ?? 0) >= 1);
    assert.equal(v1[0]?.comments.length, 1, "the incident is a comment on the v1 task");
    assert.equal(fakes.teamwork.count(TW_CREATE_TASK), 2);
    const posted = app.ledger().query({ eventType: "EVIDENCE_POSTED" });
    assert.ok(posted.some((e) => (e.payload as { sink: string }).sink === "teamwork"));
    assert.deepEqual(fakes.problems(), []);
  });

  test("Retry-After and X-Rate-Limit are honoured, and an answer lost after a create never duplicates it", async () => {
    const { app, clock } = t;
    const d = app.relays().dispatcher();
    fakes.notion.fail({ status: 429, retryAfter: 7 });
    fakes.teamwork.fail({ status: 429, retryAfter: 12 });
    await app
      .relays()
      .publisher()
      .publish(item({ title: "rate limited" }), testCause("rate limited"));
    const now = clock.now().getTime();
    const first = await d.deliverDue();
    assert.equal(first.retried, 2);
    const rows = await app.relays().outbox().pending();
    const wait = (sink: string) => (rows.find((r) => r.sink === sink)?.nextAttemptMs ?? 0) - now;
    // max(backoff, the server's ask): 7 s from Retry-After; 12 s from X-Rate-Limit-Reset on Teamwork's 429.
    assert.ok(wait("notion") >= 7000 && wait("notion") < 7500, `notion waits ${wait("notion")} ms`);
    assert.ok(
      wait("teamwork") >= 12_000 && wait("teamwork") < 12_500,
      `teamwork waits ${wait("teamwork")} ms`,
    );
    assert.equal((await d.deliverDue()).delivered, 0, "nothing is tried before its time");
    await clock.advance(12_500);
    assert.equal((await d.deliverDue()).delivered, 2);

    // The page is made but the answer is lost: the retry finds it by its Evidence ID instead of making another.
    fakes.notion.hold(["post-page"]);
    fakes.teamwork.hold([TW_CREATE_COMMENT]);
    const creates = {
      pages: fakes.notion.count("post-page"),
      comments: fakes.teamwork.count(TW_CREATE_COMMENT),
    };
    await app
      .relays()
      .publisher()
      .publish(item({ title: "lost answer" }), testCause("lost answer"));
    const pass = d.deliverDue();
    await fakes.notion.waitFor("post-page", creates.pages + 1);
    await fakes.teamwork.waitFor(TW_CREATE_COMMENT, creates.comments + 1);
    fakes.notion.dropHeld();
    fakes.teamwork.dropHeld();
    assert.equal((await pass).retried, 2);
    await clock.advance(60_000);
    assert.equal((await d.deliverDue()).delivered, 2);
    assert.equal(fakes.notion.count("post-page"), creates.pages + 1, "no second create");
    assert.equal(fakes.teamwork.count(TW_CREATE_COMMENT), creates.comments + 1, "no second comment");
    const keys = pageKeys(fakes);
    assert.equal(new Set(keys).size, keys.length, "every page is a different item");
    const twKeys = teamworkKeys(fakes);
    assert.equal(new Set(twKeys).size, twKeys.length, "every task or comment is a different item");
    assert.deepEqual(fakes.problems(), []);
  });

  test("a long body is split to Notion's limits: 2000 characters per text, 100 blocks per request", async () => {
    const { app } = t;
    const markdown = [
      "# Daily autonomy snapshot",
      "x".repeat(5000),
      ...Array.from({ length: 230 }, (_, i) => `- heartbeat ${i} green`),
    ].join("\n");
    const appends = fakes.notion.count("patch-block-children");
    await app
      .relays()
      .publisher()
      .publish(item({ kind: "snapshot", title: "Daily snapshot", markdown }), testCause("snapshot"));
    assert.equal((await app.relays().dispatcher().deliverDue()).delivered, 2);
    const page = fakes.notion.pages.at(-1);
    // The body, then the signed checkpoint covering its entry: a line and a code block.
    assert.equal(page?.children.length, markdownToBlocks(markdown).length + 2);
    assert.equal((page?.children.at(-1) as { type?: string } | undefined)?.type, "code");
    assert.equal(
      fakes.notion.count("patch-block-children"),
      appends + 2,
      "100 with the create, then 100 and the rest",
    );
    assert.deepEqual(fakes.problems(), []);
  });

  test("refusals dead-letter at once, a dead sink once its retry budget (24 h) is spent; status shows them and redrive sends them", async () => {
    const { app, clock } = t;
    const d = app.relays().dispatcher();
    // A Notion outage that outlasts the retry budget: capped exponential backoff for 24 hours, then a
    // dead letter. (Issue 9 changed the budget from 12 tries, about 20 minutes, to a duration.)
    const outageEnd = clock.now().getTime() + DEFAULT_RETRY_BUDGET_MS + 30 * 60_000;
    fakes.notion.fail({ status: 503, while: () => clock.now().getTime() < outageEnd });
    await app
      .relays()
      .publisher()
      .publish(item({ title: "outlasted" }), testCause("outlasted"));
    const firstTry = clock.now().getTime();
    const waits: number[] = [];
    for (let i = 0; i < 1000 && (await app.relays().counts()).dead === 0; i++) {
      const r = await d.deliverDue();
      if (!r.nextDueAt) break;
      const w = r.nextDueAt.getTime() - clock.now().getTime();
      waits.push(w);
      await clock.advance(w);
    }
    // random() is 0.5 in testApp: 0.75 × min(5 min, 1 s × 2^(n−1)).
    assert.deepEqual(waits.slice(0, 9), [750, 1500, 3000, 6000, 12_000, 24_000, 48_000, 96_000, 192_000]);
    assert.ok(
      waits.slice(9).every((w) => w === 225_000),
      `capped: ${waits.slice(9)}`,
    );
    const spent = clock.now().getTime() - firstTry;
    assert.ok(
      spent >= DEFAULT_RETRY_BUDGET_MS && spent < DEFAULT_RETRY_BUDGET_MS + 300_000,
      `gave up after ${spent} ms`,
    );
    const dead = await app.relays().outbox().deadLetters();
    assert.equal(dead.length, 1);
    assert.equal(dead[0]?.attempts, waits.length + 1);
    assert.match(dead[0]?.lastError ?? "", /HTTP 503/);
    const failed = app.ledger().query({ eventType: "EVIDENCE_FAILED" }).at(-1)?.payload as {
      deadLetter: boolean;
      sink: string;
    };
    assert.deepEqual([failed.deadLetter, failed.sink], [true, "notion"]);
    assert.match(
      String((failed as { reason?: string }).reason),
      /retried for 24 h .*the retry budget is 24 h/,
    );
    await clock.advance(outageEnd - clock.now().getTime());

    const status = replyToText(await statusReply(app));
    assert.match(status, /Evidence outbox\*?: 0 pending, \d+ delivered, 1 dead letter/);
    assert.match(status, /dead #\d+ notion: outlasted — HTTP 503/);
    assert.match(status, /maos relay redrive/);

    // The dead letter feeds drift's evidence component until it is redriven.
    const evidence = (await app.autonomy().measure()).drift.components.find((c) => c.name === "evidence");
    assert.ok(evidence && evidence.points > 0, JSON.stringify(evidence));
    assert.match(evidence.detail, /dead-lettered/);

    const redrive = await redriveOutcome(app, localActor("cli"), []);
    assert.deepEqual(
      redrive.data.redriven.map((r) => r.sink),
      ["notion"],
    );
    assert.equal(redrive.data.pass?.delivered, 1);
    assert.equal((await app.relays().counts()).dead, 0);
    assert.equal(app.ledger().query({ eventType: "EVIDENCE_REDRIVEN" }).length, 1);
    assert.deepEqual(fakes.problems(), []);
  });
});

describe("a sink that refuses the request itself", () => {
  test("a missing data source (404) is a dead letter at the first try, fixed by sharing it and redriving", async () => {
    const fakes = await startRelayFakes();
    const wrong = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f";
    const t = testApp({ ...fakes.env, NOTION_LEDGER_DATA_SOURCE_ID: wrong });
    try {
      await t.app
        .relays()
        .publisher()
        .publish(item({ title: "unshared" }), testCause("unshared"));
      const pass = await t.app.relays().dispatcher().deliverDue();
      assert.equal(pass.deadLettered, 1);
      const failed = t.app.ledger().query({ eventType: "EVIDENCE_FAILED" })[0]?.payload as {
        reason: string;
        fix: string;
      };
      assert.match(failed.reason, /HTTP 404: Notion pages.create: object_not_found/);
      assert.match(failed.fix, /shared with the integration/);
      // The operator shares the data source (the fake now knows it) and redrives.
      fakes.notion.addDataSource({
        id: wrong,
        name: "MAOS Activation Ledger",
        schema: { ...fakes.ledgerDs.schema },
      });
      const r = await redriveOutcome(t.app, localActor("cli"), [
        String((await t.app.relays().outbox().deadLetters())[0]?.id),
      ]);
      assert.equal(r.data.pass?.delivered, 1);
      assert.equal(fakes.notion.pagesIn(wrong).length, 1);
    } finally {
      await t.cleanup();
      await fakes.close();
    }
  });
});

describe("no evidence sink configured", () => {
  test("the causing entry notes which sinks are off and why; nothing is queued", async () => {
    const t = testApp();
    try {
      const echoed: string[] = [];
      const entry = await t.app
        .relays()
        .publisher({ echo: (i) => echoed.push(`${i.title}@${i.ledgerSeq}`) })
        .publish(item({ title: "noted only" }), testCause("corr-noted"));
      const [record] = evidenceRecords(t.app.ledger().query({ eventType: "TEST_EVIDENCE" }).at(-1));
      assert.equal(record?.key, undefined);
      assert.deepEqual(record?.sinks, []);
      assert.match(record?.reason ?? "", /no evidence sink is configured: Slack: SLACK_BOT_TOKEN not set/);
      assert.match(record?.reason ?? "", /Notion: NOTION_TOKEN not set/);
      assert.match(
        record?.reason ?? "",
        /Teamwork: TEAMWORK_SITE, TEAMWORK_API_KEY, TEAMWORK_TASKLIST_ID not set/,
      );
      assert.deepEqual(await t.app.relays().outbox().byLedgerSeq(entry.seq), []);
      assert.deepEqual(echoed, [`noted only@${entry.seq}`], "the operator sees it with the cause's seq");
    } finally {
      await t.cleanup();
    }
  });
});
