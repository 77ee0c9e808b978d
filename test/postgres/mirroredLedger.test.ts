/**
 * Two replicas' ledgers on one PostgreSQL database, each with its mirror file: appends from both form
 * one chain, each replica reads its own writes at once and the other's after a refresh, and each
 * mirror file verifies alone with the public key, with the same root as the shared ledger.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import type { LedgerStore } from "../../src/ledger/LedgerStore.ts";
import { MirroredLedger } from "../../src/ledger/pg/MirroredLedger.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";

const key = generateNoteKey("maos-codex-replicas");
const common = {
  signer: newNoteSigner(key.signerKey),
  clock: new ManualClock("2026-12-07T12:00:00.000Z"),
  environment: "test",
  origin: "maos-codex/ledger/test",
};

test("two replicas write one chain; each reads through its mirror, which verifies alone", {
  skip: pgSkip(),
}, async (t) => {
  const url = await pgTestDatabase(t);
  const dir = mkdtempSync(path.join(tmpdir(), "maos-replicas-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const open = (name: string) =>
    MirroredLedger.open({ url, path: path.join(dir, name, "ledger.db"), ...common });
  const a = await open("a");
  t.after(() => a.close());
  const b = await open("b");
  t.after(() => b.close());
  const store: LedgerStore = a; // the interface the rest of the system is written against
  assert.equal(store.size(), 1);

  const fromA = await a.append({
    eventType: "run.step",
    actor: "agent:a",
    correlationId: "a",
    payload: { i: 0 },
  });
  assert.deepEqual(a.tail(1), [fromA], "a replica reads its own write at once");
  const fromB = await b.append({
    eventType: "run.step",
    actor: "agent:b",
    correlationId: "b",
    payload: { i: 0 },
  });
  assert.equal(fromB.seq, 2);
  assert.equal(fromB.prevHash, fromA.entryHash, "one chain across replicas");
  await Promise.all([
    ...Array.from({ length: 25 }, (_, i) =>
      a.append({ eventType: "run.step", actor: "agent:a", correlationId: "a", payload: { i: i + 1 } }),
    ),
    ...Array.from({ length: 25 }, (_, i) =>
      b.append({ eventType: "run.step", actor: "agent:b", correlationId: "b", payload: { i: i + 1 } }),
    ),
  ]);
  const cp = await b.checkpoint();
  assert.equal(cp.size, 53);
  await a.refresh();
  assert.equal(a.size(), 53);
  assert.equal(a.root(), b.root());
  assert.equal(a.root(), cp.root);
  assert.deepEqual(a.latestCheckpoint(), cp);
  assert.equal(a.byCorrelation("b").length, 26, "the other replica's entries, after a refresh");
  for (const replica of ["a", "b"]) {
    const report = await verifyLedger({
      path: path.join(dir, replica, "ledger.db"),
      verifierKey: key.verifierKey,
    });
    assert.equal(report.ok, true, JSON.stringify(report.firstBad));
    assert.equal(report.root, cp.root);
    assert.equal(report.unattestedTail, 0);
  }
});
