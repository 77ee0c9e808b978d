/**
 * Several writers on one ledger file, as the bot and `maos` commands are: each Ledger instance here is
 * its own SQLite connection, which is all another process is to SQLite's locks. Every append lands, in
 * one chain, and the verifier accepts the result.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import Database from "better-sqlite3";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { openTestLedger, testVerifierKey } from "./helpers.ts";

const entry = (who: string, i: number) => ({
  eventType: "run.step",
  actor: `agent:${who}`,
  correlationId: who,
  payload: { i },
});

test("two writers on one file interleave appends into one chain, each catching up with the other", async (t) => {
  const { ledger: a, reopen, path } = openTestLedger(t);
  const b = reopen();
  t.after(() => b.close());
  a.appendSync(entry("a", 0));
  // b was opened before a's append: it must write after it, not over it.
  const fromB = b.appendSync(entry("b", 0));
  assert.equal(fromB.seq, 2);
  const fromA = a.appendSync(entry("a", 1));
  assert.equal(fromA.seq, 3);
  assert.equal(fromA.prevHash, fromB.entryHash);
  // Group commits from both, in the same turn.
  const both = await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => a.append(entry("a", i + 2))),
    ...Array.from({ length: 20 }, (_, i) => b.append(entry("b", i + 1))),
  ]);
  assert.equal(new Set(both.map((e) => e.seq)).size, 40, "no seq given twice");
  assert.equal(a.sync().size(), 44);
  assert.equal(b.sync().root(), a.root());
  a.checkpoint();
  b.checkpoint();
  const report = await verifyLedger({ path, verifierKey: testVerifierKey });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.size, 44);
});

test("two openers of a fresh file write one genesis between them", (t) => {
  const { ledger: a, reopen } = openTestLedger(t, "fresh.db");
  const b = reopen();
  t.after(() => b.close());
  assert.equal(a.sync().size(), 1);
  assert.equal(b.size(), 1);
  const genesis = a.query({ eventType: "GENESIS" });
  assert.equal(genesis.length, 1);
});

test("a write that cannot get the lock fails with SQLite's cause, is kept as the write fault, and clears on success", (t) => {
  const { ledger, path } = openTestLedger(t);
  const faults: string[] = [];
  ledger.onWriteFault((f) => faults.push(f.message));
  // Another connection holds the write lock, as an operator's sqlite3 shell inside a transaction would.
  const holder = new Database(path);
  t.after(() => holder.close());
  holder.exec("BEGIN IMMEDIATE");
  holder.pragma("busy_timeout = 0");
  assert.throws(
    () => ledger.appendSync(entry("x", 0)),
    (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, "LEDGER_BROKEN");
      assert.match(err.message, /database is locked \(SQLITE_BUSY\)/);
      assert.match(err.message, /ledger\.db/);
      assert.match(err.hint ?? "", /write lock/);
      assert.doesNotMatch(err.hint ?? "", /free disk space/);
      return true;
    },
  );
  const fault = ledger.writeFault();
  assert.equal(fault?.sqliteCode, "SQLITE_BUSY");
  assert.equal(faults.length, 1, "listeners hear the first failure");
  holder.exec("ROLLBACK");
  ledger.appendSync(entry("x", 1));
  assert.equal(ledger.writeFault(), undefined);
});
