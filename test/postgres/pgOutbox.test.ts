/**
 * The evidence outbox on PostgreSQL: the shared cases (test/relays/outboxCases.ts, which
 * test/relays/outboxStore.test.ts runs on ledger.db) against PgOutbox, its rows queued by PgLedger.append;
 * then what only several replicas can show: two dispatchers' outboxes claiming the same rows at once
 * (one wins each) and redriving at once (each dead letter goes back once), and an outbox of a ledger
 * created before migration 0002 gaining its `retry_since_ms`.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { migratePg } from "../../src/core/pgMigrate.ts";
import { PG_LEDGER_MIGRATIONS, PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { ownerId } from "../../src/relays/Outbox.ts";
import type { OutboxStore } from "../../src/relays/OutboxStore.ts";
import { PgOutbox } from "../../src/relays/pg/PgOutbox.ts";
import { pgConnect, pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";
import { evidenceBody, outboxCases } from "../relays/outboxCases.ts";

const key = generateNoteKey("maos-codex-pg-outbox-test");
const skip = pgSkip();

async function openLedger(t: Pick<TestContext, "after">, url: string, clock: ManualClock) {
  const ledger = await PgLedger.open({
    url,
    signer: newNoteSigner(key.signerKey),
    clock,
    environment: "test",
    origin: "maos-codex/ledger/test",
  });
  t.after(() => ledger.close());
  return ledger;
}

async function openOutbox(t: Pick<TestContext, "after">, url: string, clock: ManualClock) {
  const outbox = await PgOutbox.open({ url, clock });
  t.after(() => outbox.close());
  return outbox;
}

const queueOn = (ledger: PgLedger) => (title: string, sinks: readonly string[]) =>
  ledger.append(
    { eventType: "test.evidence", actor: "system", correlationId: `corr-${title}` },
    { outbox: sinks.map((sink) => ({ sink, body: evidenceBody(title) })) },
  );

describe("PgOutbox (PostgreSQL)", () => {
  for (const c of outboxCases) {
    test(c.name, { skip }, async (t) => {
      const url = await pgTestDatabase(t);
      const clock = new ManualClock();
      const ledger = await openLedger(t, url, clock);
      const outbox: OutboxStore = await openOutbox(t, url, clock);
      await c.run({ outbox, clock, queue: queueOn(ledger) });
    });
  }
});

describe("PgOutbox across replicas", () => {
  test("two replicas' dispatchers claiming the same rows at once: one wins each", { skip }, async (t) => {
    const url = await pgTestDatabase(t);
    const clock = new ManualClock();
    const ledger = await openLedger(t, url, clock);
    const a = await openOutbox(t, url, clock);
    const b = await openOutbox(t, url, clock);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => queueOn(ledger)(`item-${i}`, ["notion", "teamwork"])),
    );
    const rows = await a.pending(1000);
    assert.equal(rows.length, 100);
    const [ownerA, ownerB] = [ownerId("replica-a"), ownerId("replica-b")];
    const won = await Promise.all(
      rows.map((r) => Promise.all([a.claim(r.id, ownerA), b.claim(r.id, ownerB)])),
    );
    for (const [x, y] of won) assert.equal(Number(x) + Number(y), 1, "exactly one replica holds each row");
    const holders = await Promise.all(rows.map((r) => b.get(r.id)));
    holders.forEach((h, i) => {
      assert.equal(h?.claimedBy, won[i]?.[0] ? ownerA : ownerB, "the winner's claim is the one on file");
    });
  });

  test("two replicas redriving at once: each dead letter goes back to pending once", { skip }, async (t) => {
    const url = await pgTestDatabase(t);
    const clock = new ManualClock();
    const ledger = await openLedger(t, url, clock);
    const a = await openOutbox(t, url, clock);
    const b = await openOutbox(t, url, clock);
    await Promise.all(Array.from({ length: 20 }, (_, i) => queueOn(ledger)(`dead-${i}`, ["notion"])));
    const rows = await a.pending(1000);
    for (const r of rows) await a.deadLetter(r.id, "HTTP 404");
    const [x, y] = await Promise.all([a.redrive(), b.redrive()]);
    const redriven = [...x, ...y].map((r) => r.id).sort((p, q) => p - q);
    assert.deepEqual(
      redriven,
      rows.map((r) => r.id),
      "every dead letter redriven by exactly one replica",
    );
    assert.equal((await b.counts()).pending, 20);
  });

  test("the outbox of a ledger created before migration 0002 gains retry_since_ms when opened", {
    skip,
  }, async (t) => {
    const url = await pgTestDatabase(t);
    const old = mkdtempSync(path.join(tmpdir(), "maos-pg-0001-"));
    t.after(() => rmSync(old, { recursive: true, force: true }));
    copyFileSync(path.join(PG_LEDGER_MIGRATIONS, "0001_ledger.sql"), path.join(old, "0001_ledger.sql"));
    const c = await pgConnect(t, url);
    assert.deepEqual(await migratePg(c, "ledger", old), [1]);
    await c.query(
      "INSERT INTO outbox (ledger_seq, sink, body, created_utc) VALUES (1, 'notion', $1, '2026-11-21T15:00:00.000Z')",
      [evidenceBody("old")],
    );
    const clock = new ManualClock();
    const outbox = await openOutbox(t, url, clock);
    const [row] = await outbox.pending();
    await outbox.retryLater(row?.id ?? -1, 1, "HTTP 503", 1234);
    assert.equal((await outbox.get(row?.id ?? -1))?.retrySinceMs, 1234);
    const applied = await c.query<{ version: number }>(
      "SELECT version FROM schema_migrations WHERE component = 'ledger' ORDER BY version",
    );
    assert.deepEqual(
      applied.rows.map((r) => r.version),
      [1, 2],
    );
  });

  test("a database without the ledger's outbox is refused, naming DATABASE_URL, never the password", {
    skip,
  }, async (t) => {
    const url = await pgTestDatabase(t);
    await assert.rejects(PgOutbox.open({ url, clock: new ManualClock() }), (err: unknown) => {
      assert.ok(err instanceof CodexError);
      assert.equal(err.code, "LEDGER_BROKEN");
      assert.match(err.message, /holds no evidence outbox/);
      assert.match(err.hint ?? "", /DATABASE_URL/);
      return true;
    });
    const secret = "postgres://maos:s3cr3t-pw@127.0.0.1:1/nowhere";
    await assert.rejects(PgOutbox.open({ url: secret, clock: new ManualClock() }), (err: unknown) => {
      assert.ok(err instanceof CodexError);
      assert.match(err.message, /postgres:\/\/maos@127\.0\.0\.1:1\/nowhere/);
      assert.match(err.hint ?? "", /DATABASE_URL/);
      assert.doesNotMatch(`${err.message} ${err.hint}`, /s3cr3t-pw/);
      return true;
    });
  });

  test("a statement that fails on the server is a LEDGER_BROKEN naming the database and the fix", {
    skip,
  }, async (t) => {
    const url = await pgTestDatabase(t);
    const clock = new ManualClock();
    await openLedger(t, url, clock);
    const outbox = await openOutbox(t, url, clock);
    const c = await pgConnect(t, url);
    await c.query("DROP TABLE outbox");
    await assert.rejects(outbox.pending(), (err: unknown) => {
      assert.ok(err instanceof CodexError);
      assert.equal(err.code, "LEDGER_BROKEN");
      assert.match(
        err.message,
        /an evidence outbox statement failed on postgres:\/\/.*"outbox" does not exist/,
      );
      assert.match(err.hint ?? "", /DATABASE_URL/);
      return true;
    });
  });
});
