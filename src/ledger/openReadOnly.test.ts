import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { ManualClock } from "../core/clock.ts";
import { Ledger } from "./Ledger.ts";
import { openLedgerReadOnly } from "./openReadOnly.ts";
import { generateNoteKey, newNoteSigner } from "./signedNote.ts";
import { verifyLedger } from "./verifyLedger.ts";

const key = generateNoteKey("maos-codex-test");

/** A closed ledger of `n` entries (no -wal beside it, as an auditor's copy) in a fresh folder. */
function closedLedger(t: { after: (f: () => void) => void }, n: number, name = "ledger.db") {
  const dir = mkdtempSync(join(tmpdir(), "maos-ro-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  const ledger = Ledger.open({
    path,
    signer: newNoteSigner(key.signerKey),
    clock: new ManualClock("2026-11-21T15:00:00.000Z"),
    environment: "test",
    origin: "maos-codex/ledger/test",
  });
  ledger.appendBatchSync(
    Array.from({ length: n }, (_, i) => ({
      eventType: "NOTE",
      actor: "agent:prime",
      correlationId: "r",
      payload: { i },
    })),
  );
  ledger.checkpoint();
  ledger.close();
  return { dir, path };
}

test("a closed ledger is read in place as immutable: no -wal or -shm appears beside it, even with workers", (t) => {
  const { dir, path } = closedLedger(t, 300, "odd ?#% name.db");
  const before = readdirSync(dir).sort();
  const opened = openLedgerReadOnly(path);
  try {
    assert.equal(opened.mode, "immutable");
    assert.equal(opened.db.prepare("SELECT count(*) FROM ledger").pluck().get(), 301);
  } finally {
    opened.db.close();
  }
  for (const workers of [0, 1]) {
    const report = verifyLedger({ path, verifierKey: key.verifierKey, workers });
    assert.equal(report.ok, true, JSON.stringify(report.firstBad));
    assert.equal(report.size, 301);
  }
  assert.deepEqual(readdirSync(dir).sort(), before);
});

test("an edited row of a closed ledger fails at its seq with one thread and with workers alike", (t) => {
  const { path } = closedLedger(t, 300);
  const db = new Database(path);
  db.exec("DROP TRIGGER ledger_no_update");
  db.prepare(
    "UPDATE ledger SET canonical = replace(canonical, '\"i\":250', '\"i\":251') WHERE seq = 251",
  ).run();
  db.close();
  const reports = [0, 1].map((workers) => verifyLedger({ path, verifierKey: key.verifierKey, workers }));
  for (const r of reports) {
    assert.equal(r.ok, false);
    assert.deepEqual(r.firstBad, {
      seq: 251,
      reason: "row edited: entry_hash does not match the canonical bytes",
    });
  }
});
