/**
 * The outage drill: Notion and Teamwork answer 503 for a simulated ten minutes, then 429 with
 * Retry-After, then recover — on an injected clock, so nothing waits in real time. Meanwhile the bot
 * activates, runs two stacks, raises and resolves an incident and writes a snapshot. At the end every
 * evidence item is delivered exactly once (pages, tasks and comments counted at the fakes), nothing is
 * dead-lettered, and every request the fakes saw was valid under the vendor specs.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { dispatch } from "../../commands/dispatch.ts";
import { createApp } from "../../src/app/createApp.ts";
import { loadEnv } from "../../src/config/loadEnv.ts";
import type { Actor } from "../../src/core/Actor.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { replyToText } from "../../src/core/replyText.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { evidenceRecords } from "../../src/relays/evidenceRecord.ts";
import { REPO } from "../helpers/testApp.ts";
import { pageKeys, queuedKeys, startRelayFakes, teamworkKeys } from "./relayKit.ts";

const operator: Actor = { source: "shell", id: "local:olive" };
const approver: Actor = { source: "shell", id: "local:abe" };
const START = Date.parse("2026-11-21T15:00:00.000Z");
const OUTAGE_MS = 10 * 60_000;

test("outage drill: 10 minutes of 503, then 429 with Retry-After, then recovery; every item delivered once", {}, async (t) => {
  const fakes = await startRelayFakes();
  const home = mkdtempSync(path.join(os.tmpdir(), "maos-drill-"));
  t.after(() => fakes.close());
  cpSync(path.join(REPO, "test/fixtures/autonomy/charter.yml"), path.join(home, "charter.yml"));
  // Short waits (request pacing) jump at once; backoff and heartbeats wait for the drill to move time.
  const clock = new ManualClock(new Date(START), { autoAdvance: true, autoAdvanceMaxMs: 1000 });
  const seen: { host: string; status: number; at: number }[] = [];
  const recording = (async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    seen.push({ host: url.host, status: res.status, at: clock.now().getTime() });
    return res;
  }) as typeof fetch;
  const env = loadEnv(
    {
      MAOS_HOME: path.join(home, "data"),
      MAOS_CHARTER: path.join(home, "charter.yml"),
      MAOS_STACKS: path.join(REPO, "stacks"),
      LOG_LEVEL: "silent",
      MAOS_RELAY_TOKEN: "relay-token-for-the-outage-drill",
      ...fakes.env,
    },
    REPO,
  );
  const app = createApp({
    env,
    clock,
    log: createLogger({ level: "silent" }),
    random: () => 0.5,
    fetch: recording,
  });
  // Hooks run in order: the home goes once the app has closed (closing writes to it).
  t.after(async () => {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  });
  const kernel = app.autonomy();
  kernel.configure({ mode: "headless", publisher: app.relays().publisher() });
  assert.equal(await kernel.startLoop(), true);
  const d = app.relays().dispatcher();

  const outageEnds = START + OUTAGE_MS;
  const down = () => clock.now().getTime() < outageEnds;
  fakes.notion.fail({ status: 503, while: down });
  fakes.teamwork.fail({ status: 503, while: down });
  // After the outage: rate limited for a while, with the server's wait in Retry-After.
  fakes.notion.fail({ status: 429, retryAfter: 30, times: 2 });
  fakes.teamwork.fail({ status: 429, retryAfter: 45, times: 2 });

  const run = async (text: string, actor: Actor) => {
    const reply = await dispatch(text, { app, actor });
    await kernel.idle();
    await d.deliverDue();
    return replyToText(reply);
  };
  const beat = async () => {
    const next = kernel.nextHeartbeatAt();
    assert.ok(next, "the loop runs");
    await clock.advance(Math.max(0, next.getTime() - clock.now().getTime()));
    await kernel.idle();
    await d.deliverDue();
  };

  // The bot's work, all inside the outage.
  assert.match(await run("activate", operator), /activation/i);
  await beat();
  assert.match(await run('run marketing_ops event="Midwest Builders Expo 2027"', operator), /score/i);
  await beat();
  assert.match(await run("stop drill: evidence relays under outage", operator), /INC-1/);
  await beat();
  assert.match(await run("incident approve INC-1", approver), /approved/i);
  assert.match(await run("incident resolve INC-1 drill complete; relays recovered", approver), /resolved/i);
  assert.match(await run("resume", operator), /RUNNING/);
  await beat();
  assert.match(await run('run field_estimator project="Warehouse roof" location=Joliet', operator), /score/i);
  assert.match(await run("snapshot", operator), /Daily autonomy snapshot/);
  while (clock.now().getTime() < outageEnds) await beat();

  const queuedDuringOutage = queuedKeys(app.ledger()).length;
  assert.ok(
    queuedDuringOutage >= 6,
    `activation, incident, approval, resolution, resume and snapshot evidence (${queuedDuringOutage})`,
  );
  assert.equal(fakes.notion.pages.length, 0, "nothing got through during the outage");
  // Each piece of evidence was queued with the entry that caused it, its rows on that entry's seq.
  for (const type of [
    "ACTIVATION_STARTED",
    "ACTIVATION_COMPLETED",
    "INCIDENT_OPENED",
    "INCIDENT_RESOLVED",
    "SRR_RESUMED",
    "SNAPSHOT_TAKEN",
  ]) {
    const cause = app.ledger().query({ eventType: type }).at(-1);
    assert.ok(cause, type);
    const keys = evidenceRecords(cause).map((r) => r.key);
    assert.ok(keys.length > 0 && keys.every((k) => k !== undefined), `${type} records its queued evidence`);
    const rows = await app.relays().outbox().byLedgerSeq(cause.seq);
    assert.deepEqual(new Set(rows.map((r) => r.body.key)), new Set(keys), `${type}'s outbox rows`);
    assert.ok(rows.every((r) => r.body.item.ledgerSeq === cause.seq));
  }
  assert.equal(app.ledger().query({ eventType: "EVIDENCE_QUEUED" }).length, 0);

  // Recovery: the dispatcher waits as it was told and drains the backlog.
  for (let i = 0; i < 200 && (await app.relays().counts()).pending > 0; i++) {
    const r = await d.deliverDue();
    if (r.nextDueAt) await clock.advance(Math.max(1, r.nextDueAt.getTime() - clock.now().getTime()));
  }
  const counts = await app.relays().counts();
  assert.equal(counts.pending, 0, "the backlog drained");
  assert.equal(counts.dead, 0, "nothing dead-lettered");
  assert.equal(app.ledger().query({ eventType: "EVIDENCE_FAILED" }).length, 0);

  // Exactly once: one page, and one task or comment, per queued item, each with its own Evidence ID.
  const keys = queuedKeys(app.ledger()).sort();
  assert.deepEqual(pageKeys(fakes).sort(), keys, "Notion: every item once");
  assert.deepEqual(teamworkKeys(fakes).sort(), keys, "Teamwork: every item once");
  const tasks = fakes.teamwork.tasks.map((x) => x.name);
  assert.deepEqual(
    tasks,
    ["[SYSTEM] MAOS MVP v0 Activation — Evidence"],
    "one task; the rest are its comments",
  );
  assert.equal(app.ledger().query({ eventType: "EVIDENCE_POSTED" }).length, keys.length * 2);

  // The outage and the rate limit were seen and honoured.
  for (const [host, wait] of [
    [new URL(fakes.notion.url).host, 30_000],
    [new URL(fakes.teamwork.url).host, 45_000],
  ] as const) {
    const mine = seen.filter((s) => s.host === host);
    assert.ok(
      mine.some((s) => s.status === 503),
      `${host} answered 503`,
    );
    const limited = mine.filter((s) => s.status === 429);
    assert.equal(limited.length, 2, `${host} answered 429 twice`);
    for (const l of limited) {
      const next = mine.find((s) => s.at > l.at || (s !== l && mine.indexOf(s) > mine.indexOf(l)));
      assert.ok(
        next && next.at - l.at >= wait,
        `${host}: the request after a 429 waited ${next ? next.at - l.at : "?"} ms, Retry-After asked ${wait}`,
      );
    }
    const during = mine.filter((s) => s.at < outageEnds).length;
    assert.ok(during < 40, `${host}: backoff kept the outage to ${during} requests`);
  }
  assert.deepEqual(fakes.problems(), [], "every request valid under the vendor specs");
  const v = verifyLedger({ path: app.ledgerPath(), verifierKey: app.ledgerKey().verifierKey });
  assert.equal(v.ok, true);
});
