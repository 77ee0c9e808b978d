/**
 * A replica's local mirror of the shared PostgreSQL ledger: a SQLite ledger file that copies the rows
 * and signed checkpoints, each row checked to continue the chain, so it verifies on its own with the
 * public key and answers reads like a single machine's ledger.db; a source that forked or was tampered
 * with is refused at the seq, and nothing is copied.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { LedgerMirror } from "../../src/ledger/pg/LedgerMirror.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { generateNoteKey, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { pgConnect, pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";

const key = generateNoteKey("maos-codex-mirror-test");
const signer = newNoteSigner(key.signerKey);
const clock = new ManualClock("2026-12-07T12:00:00.000Z");
const common = { signer, clock, environment: "test", origin: "maos-codex/ledger/test" };
const skip = pgSkip();
type Hooks = { after: (f: () => unknown) => void };

const step = (who: string, i: number) => ({
  eventType: "run.step",
  actor: `agent:${who}`,
  correlationId: who,
  payload: { i },
});

async function source(t: Hooks) {
  const url = await pgTestDatabase(t);
  const pg = await PgLedger.open({ url, ...common });
  t.after(() => pg.close());
  return { url, pg };
}

function mirrorFile(t: Hooks) {
  const dir = mkdtempSync(path.join(tmpdir(), "maos-mirror-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "ledger.db");
  const open = () => Ledger.open({ path: file, ...common, mirror: true });
  return { file, open };
}

test("the mirror copies every replica's entries and checkpoints, verifies alone, and reads as the source", {
  skip,
}, async (t) => {
  const { url, pg: a } = await source(t);
  const b = await PgLedger.open({ url, ...common });
  t.after(() => b.close());
  await Promise.all([
    ...Array.from({ length: 30 }, (_, i) => a.append(step("a", i))),
    ...Array.from({ length: 30 }, (_, i) => b.append(step("b", i))),
  ]);
  await a.checkpoint();
  const { file, open } = mirrorFile(t);
  const local = open();
  t.after(() => local.close());
  assert.equal(local.size(), 0, "an empty mirror starts no chain of its own");
  const mirror = new LedgerMirror(local, a);
  assert.equal(await mirror.pull(), 61);
  await a.sync();
  assert.equal(local.size(), a.size());
  assert.equal(local.root(), a.root());
  assert.deepEqual(local.tail(5), await a.tail(5));
  assert.deepEqual(local.byCorrelation("b"), await a.byCorrelation("b"));
  let report = await verifyLedger({ path: file, verifierKey: key.verifierKey });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.checkpointsChecked, 1);

  // Later entries and checkpoints follow on the next pull; a pull with nothing new adds nothing.
  await Promise.all(Array.from({ length: 10 }, (_, i) => b.append(step("b", 30 + i))));
  await b.checkpoint();
  assert.equal(await mirror.pull(), 10);
  assert.equal(await mirror.pull(), 0);
  report = await verifyLedger({ path: file, verifierKey: key.verifierKey });
  assert.equal(report.ok, true);
  assert.equal(report.checkpointsChecked, 2);
  assert.equal(report.unattestedTail, 0);

  // A restarted replica reopens its mirror and goes on from where it was.
  local.close();
  const again = open();
  t.after(() => again.close());
  await a.append(step("a", 30));
  assert.equal(await new LedgerMirror(again, a, mirror.checkpointId).pull(), 1);
  assert.equal(again.size(), 72);
});

test("several processes of one replica pull into one mirror file: each checkpoint is copied once", {
  skip,
}, async (t) => {
  const { pg: a } = await source(t);
  await a.append(step("a", 0));
  await a.checkpoint();
  await a.append(step("a", 1));
  await a.checkpoint();
  const { file, open } = mirrorFile(t);
  // The bot's thread, its run worker and a `maos` command each open the file with a mirror of their own.
  const handles = [open(), open(), open()];
  for (const h of handles) t.after(() => h.close());
  await Promise.all(handles.map((h) => new LedgerMirror(h, a).pull()));
  await a.append(step("a", 2));
  await a.checkpoint();
  for (const h of handles) await new LedgerMirror(h, a).pull();
  const report = await verifyLedger({ path: file, verifierKey: key.verifierKey });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.checkpointsChecked, 3, "three source checkpoints, each stored once");
});

test("a mirror of another ledger, or of a row changed in the source, is refused at the seq and copies nothing", {
  skip,
}, async (t) => {
  const one = await source(t);
  const other = await source(t);
  await one.pg.append(step("a", 0));
  const { open } = mirrorFile(t);
  const local = open();
  t.after(() => local.close());
  await new LedgerMirror(local, one.pg).pull();
  await assert.rejects(new LedgerMirror(local, other.pg).pull(), {
    code: "LEDGER_BROKEN",
    message: /holds 2 entries, but its source has no entry at seq 1/,
  });
  await other.pg.append(step("x", 0));
  await assert.rejects(new LedgerMirror(local, other.pg).pull(), {
    code: "LEDGER_BROKEN",
    message: /disagrees with its source at seq 1: a different entry is already there/,
  });

  await Promise.all(Array.from({ length: 3 }, (_, i) => one.pg.append(step("a", i + 1))));
  // Someone with the server's own rights turns the trigger off and edits a row not mirrored yet.
  const db = await pgConnect(t, one.url);
  await db.query("ALTER TABLE ledger DISABLE TRIGGER ledger_append_only");
  await db.query("UPDATE ledger SET canonical = replace(canonical, '\"i\":2', '\"i\":9') WHERE seq = 3");
  const before = local.size();
  await assert.rejects(new LedgerMirror(local, one.pg).pull(), {
    code: "LEDGER_BROKEN",
    message: /at seq 3: entry_hash is not the hash of the canonical bytes/,
  });
  assert.equal(local.sync().size(), before, "all or nothing: seq 2 was not copied either");
});
