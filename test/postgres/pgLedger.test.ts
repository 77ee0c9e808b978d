/**
 * The custodian ledger on PostgreSQL: the same chain, Merkle tree and signed checkpoints as the SQLite
 * file (an export verifies with the public key alone), append-only by trigger, outbox rows in the
 * entry's transaction, and one total order across writers, in this process and across four processes.
 * Runs on the test run's throwaway cluster (test/helpers/pgGlobalSetup.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { ManualClock } from "../../src/core/clock.ts";
import { exportLedgerToSqlite } from "../../src/ledger/exportLedger.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { pgLedgerSnapshot } from "../../src/ledger/pg/pgLedgerSnapshot.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { pgConnect, pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";

const key = generateNoteKey("maos-codex-pg-test");
const skip = pgSkip();
const REPO = path.resolve(import.meta.dirname, "../..");

async function openPg(url: string, t: { after: (f: () => Promise<void>) => void }) {
  const ledger = await PgLedger.open({
    url,
    signer: newNoteSigner(key.signerKey),
    clock: new ManualClock("2026-12-07T12:00:00.000Z"),
    environment: "test",
    origin: "maos-codex/ledger/test",
  });
  t.after(() => ledger.close());
  return ledger;
}

const step = (who: string, i: number) => ({
  eventType: "run.step",
  actor: `agent:${who}`,
  correlationId: who,
  payload: { i },
});

async function exportAndVerify(url: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "maos-pg-export-"));
  try {
    const file = path.join(dir, "ledger.db");
    const exported = await exportLedgerToSqlite(await pgLedgerSnapshot(url), file);
    const report = await verifyLedger({ path: file, verifierKey: key.verifierKey });
    return { exported, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("appends chain, checkpoint and export to a SQLite ledger that verifies with the public key", {
  skip,
}, async (t) => {
  const url = await pgTestDatabase(t);
  const ledger = await openPg(url, t);
  assert.equal(ledger.size(), 1, "the genesis");
  const entries = await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.append(step("a", i))));
  assert.deepEqual(
    entries.map((e) => e.seq),
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  for (let i = 1; i < entries.length; i++) assert.equal(entries[i]?.prevHash, entries[i - 1]?.entryHash);
  const cp = await ledger.checkpoint();
  assert.equal(cp.size, 31);
  assert.equal(cp.root, ledger.root());
  assert.deepEqual(await ledger.latestCheckpoint(), cp);
  const tail = await ledger.tail(2);
  assert.deepEqual(
    tail.map((e) => e.seq),
    [29, 30],
  );
  assert.equal((await ledger.byCorrelation("a")).length, 30);
  assert.equal((await ledger.query({ eventType: "GENESIS" })).length, 1);
  const { exported, report } = await exportAndVerify(url);
  assert.equal(exported.entries, 31);
  assert.equal(exported.root, ledger.root());
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.checkpointsChecked, 1);
  assert.equal(report.root, cp.root);
});

test("the ledger and its checkpoints refuse UPDATE, DELETE and TRUNCATE", { skip }, async (t) => {
  const url = await pgTestDatabase(t);
  const ledger = await openPg(url, t);
  await ledger.append(step("a", 0));
  await ledger.checkpoint();
  const c = await pgConnect(t, url);
  for (const sql of [
    "UPDATE ledger SET canonical = canonical WHERE seq = 1",
    "DELETE FROM ledger WHERE seq = 1",
    "TRUNCATE ledger",
    "UPDATE ledger_checkpoints SET note = ''",
    "DELETE FROM ledger_checkpoints",
    "TRUNCATE ledger_checkpoints",
  ]) {
    await assert.rejects(c.query(sql), /append-only/, sql);
  }
});

test("outbox rows commit with their entry, and a failed batch leaves neither", { skip }, async (t) => {
  const url = await pgTestDatabase(t);
  const ledger = await openPg(url, t);
  const c = await pgConnect(t, url);
  // A server-side refusal of one entry (as a full disk or a lost connection would be): the whole batch rolls back.
  await c.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.canonical LIKE '%POISON%' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$`);
  await c.query(
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
  );
  const kept = await ledger.append(step("a", 0), { outbox: [{ sink: "slack", body: '{"n":1}' }] });
  const failed = await Promise.allSettled([
    ledger.append(step("b", 1), { outbox: [{ sink: "notion", body: '{"n":2}' }] }),
    ledger.append({ ...step("b", 2), payload: { note: "POISON" } }),
  ]);
  assert.deepEqual(
    failed.map((r) => r.status),
    ["rejected", "rejected"],
  );
  const reason = (failed[0] as PromiseRejectedResult).reason as {
    code: string;
    message: string;
    hint: string;
  };
  assert.equal(reason.code, "LEDGER_BROKEN");
  assert.match(
    reason.message,
    /could not write 2 ledger entries to postgres:\/\/maos@127\.0\.0\.1:\d+\/postgres: poison refused/,
  );
  assert.match(reason.hint, /nothing from this batch was written/);
  const fault = ledger.writeFault();
  assert.ok(fault, "the fault is kept for /health and telemetry");
  // /health is open: its words for the fault name no host, port or user (the message, for the log, does).
  assert.match(fault.brief ?? "", /^could not write 2 ledger entries to PostgreSQL \(DATABASE_URL\): P0001$/);
  const rows = await c.query("SELECT ledger_seq::int AS seq, sink FROM outbox ORDER BY id");
  assert.deepEqual(rows.rows, [{ seq: kept.seq, sink: "slack" }]);
  // The chain goes on from the last committed entry.
  const next = await ledger.append(step("c", 3));
  assert.equal(next.seq, kept.seq + 1);
  assert.equal(next.prevHash, kept.entryHash);
  assert.equal(ledger.writeFault(), undefined);
  assert.equal((await exportAndVerify(url)).report.ok, true);
});

test("two writers in one process interleave into one chain, each catching up with the other", {
  skip,
}, async (t) => {
  const url = await pgTestDatabase(t);
  const a = await openPg(url, t);
  const b = await openPg(url, t);
  assert.equal(b.size(), 1, "b found a's genesis and wrote none of its own");
  await a.append(step("a", 0));
  const fromB = await b.append(step("b", 0));
  assert.equal(fromB.seq, 2, "b writes after a's entry, not over it");
  const both = await Promise.all([
    ...Array.from({ length: 40 }, (_, i) => a.append(step("a", i + 1))),
    ...Array.from({ length: 40 }, (_, i) => b.append(step("b", i + 1))),
  ]);
  assert.equal(new Set(both.map((e) => e.seq)).size, 80, "no seq given twice");
  await a.sync();
  await b.sync();
  assert.equal(a.size(), 83);
  assert.equal(a.root(), b.root());
  await a.checkpoint();
  await b.checkpoint();
  assert.equal((await exportAndVerify(url)).report.ok, true);
});

test("four processes appending at once: one total order, nothing lost or duplicated, the chain verifies", {
  skip,
}, async (t) => {
  const url = await pgTestDatabase(t);
  const first = await openPg(url, t);
  await first.close();
  const PER = 150;
  const node = process.execPath;
  const run = promisify(execFile);
  const outs = await Promise.all(
    ["w1", "w2", "w3", "w4"].map((who) =>
      run(node, [path.join(REPO, "test/postgres/pgAppender.ts"), url, who, String(PER), key.signerKey]),
    ),
  );
  const seqs = outs.flatMap((o) => JSON.parse(o.stdout) as number[]);
  assert.equal(seqs.length, 4 * PER);
  assert.equal(new Set(seqs).size, 4 * PER, "no seq given twice");
  assert.deepEqual(
    [...seqs].sort((x, y) => x - y),
    Array.from({ length: 4 * PER }, (_, i) => i + 1),
    "no gap: every seq from 1 to 600 belongs to exactly one writer",
  );
  const { report, exported } = await exportAndVerify(url);
  assert.equal(exported.entries, 4 * PER + 1);
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  // Each writer's own entries keep its order within the total order.
  const c = await pgConnect(t, url);
  const r = await c.query<{ correlation_id: string; i: number }>(
    "SELECT correlation_id, (canonical::jsonb -> 'payload' ->> 'i')::int AS i FROM ledger WHERE seq > 0 ORDER BY seq",
  );
  for (const who of ["w1", "w2", "w3", "w4"]) {
    const mine = r.rows.filter((row) => row.correlation_id === who).map((row) => row.i);
    assert.deepEqual(
      mine,
      Array.from({ length: PER }, (_, i) => i),
    );
  }
});

test("a changed migration file is refused, naming it", { skip }, async (t) => {
  const url = await pgTestDatabase(t);
  await openPg(url, t);
  const { migratePg } = await import("../../src/core/pgMigrate.ts");
  const dir = mkdtempSync(path.join(tmpdir(), "maos-migrations-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = await pgConnect(t, url);
  writeFileSync(path.join(dir, "0001_x.sql"), "CREATE TABLE x (a int);");
  assert.deepEqual(await migratePg(c, "probe", dir), [1]);
  assert.deepEqual(await migratePg(c, "probe", dir), [], "applied once");
  writeFileSync(path.join(dir, "0001_x.sql"), "CREATE TABLE x (a bigint);");
  await assert.rejects(
    migratePg(c, "probe", dir),
    /migration probe\/0001_x\.sql was changed after it was applied/,
  );
});

test("a writer whose connection the server dropped reconnects; the chain goes on, nothing lost", {
  skip,
}, async (t) => {
  // Its own database: the termination below picks sessions by application name.
  const url = await pgTestDatabase(t, { ownDatabase: true });
  const ledger = await openPg(url, t);
  const before = await ledger.append(step("a", 0));
  const admin = await pgConnect(t, url);
  await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'maos-ledger-writer' AND datname = current_database()",
  );
  // The first write after the drop may fail (the drop is seen then) and say so; the next reconnects.
  const first = await ledger.append(step("a", 1)).then(
    (e) => e,
    (err: { code: string; hint: string }) => {
      assert.equal(err.code, "LEDGER_BROKEN");
      assert.match(err.hint, /down or unreachable|nothing from this batch was written/);
      return undefined;
    },
  );
  const after = await ledger.append(step("a", 2));
  assert.equal(after.seq, (first ?? before).seq + 1);
  assert.equal(after.prevHash, (first ?? before).entryHash);
  assert.equal((await exportAndVerify(url)).report.ok, true);
});
