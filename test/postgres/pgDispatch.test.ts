/**
 * The outbox dispatcher delivering from the PostgreSQL outbox (the same OutboxDispatcher as on ledger.db,
 * awaiting the store): evidence queued with ledger entries on the shared ledger reaches the Teamwork fake
 * on loopback once each, and each delivery is recorded in the shared ledger.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { createLogger } from "../../src/core/logger.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { OutboxDispatcher } from "../../src/relays/OutboxDispatcher.ts";
import type { OutboxStore } from "../../src/relays/OutboxStore.ts";
import { PgOutbox } from "../../src/relays/pg/PgOutbox.ts";
import { TeamworkClient } from "../../src/relays/teamwork/TeamworkClient.ts";
import { TeamworkSink } from "../../src/relays/teamwork/TeamworkSink.ts";
import { startFakeTeamwork } from "../fakes/teamworkServer.ts";
import { pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { evidenceBody } from "../relays/outboxCases.ts";

const KEY = "twk_pgdispatch_0123456789";

test("evidence queued on the shared ledger is delivered from the PostgreSQL outbox, once each", {
  skip: pgSkip(),
}, async (t) => {
  const url = await pgTestDatabase(t);
  const clock = new ManualClock("2026-11-21T15:00:00.000Z");
  const key = generateNoteKey("maos-codex-dispatch");
  const ledger = await PgLedger.open({
    url,
    signer: newNoteSigner(key.signerKey),
    clock,
    environment: "test",
    origin: "maos-codex/ledger/test",
  });
  t.after(() => ledger.close());
  const outbox = await PgOutbox.open({ url, clock });
  t.after(() => outbox.close());
  const store: OutboxStore = outbox;
  const teamwork = await startFakeTeamwork({ apiKey: KEY, tasklistId: 4242 });
  t.after(() => teamwork.close());

  for (const title of ["one", "two", "three"]) {
    await ledger.append(
      {
        eventType: "evidence.queued",
        actor: "maos-codex",
        correlationId: `corr-${title}`,
        payload: { title },
      },
      { outbox: [{ sink: "teamwork", body: evidenceBody(title) }] },
    );
  }
  const dispatcher = new OutboxDispatcher({
    outbox: store,
    clock,
    log: createLogger({ level: "silent" }),
    ledger,
  });
  dispatcher.setSink(
    new TeamworkSink({
      client: new TeamworkClient({ site: teamwork.url, apiKey: KEY, fetch, clock }),
      tasklistId: "4242",
    }),
  );
  const pass = await dispatcher.deliverDue();
  assert.equal(pass.delivered, 3);
  assert.equal((await dispatcher.deliverDue()).delivered, 0, "nothing twice");
  const counts = await outbox.counts();
  assert.equal(counts.delivered, 3);
  assert.equal(counts.pending, 0);
  assert.deepEqual(teamwork.problems(), []);
  assert.equal(teamwork.tasks.length, 1, "one task for the seal version");
  assert.equal(teamwork.tasks[0]?.comments.length, 2, "later items are comments on it");
  const posted = await ledger.query({ eventType: "EVIDENCE_POSTED" });
  assert.deepEqual(
    posted.map((e) => (e.payload as { sink: string }).sink),
    ["teamwork", "teamwork", "teamwork"],
  );
});
