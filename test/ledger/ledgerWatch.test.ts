import assert from "node:assert/strict";
import { copyFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { LedgerWatch, type LedgerWatchReport, type WatchMark } from "../../src/ledger/LedgerWatch.ts";
import { entryHash } from "../../src/ledger/ledgerEntry.ts";
import { formatCheckpoint, generateNoteKey, newNoteSigner, signNote } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import {
  editCanonical,
  fill,
  openTestLedger,
  patchFile,
  rehashFrom,
  tamper,
  testSigner,
  testVerifierKey,
} from "./helpers.ts";

const ORIGIN = "maos-codex/ledger/test";

const watchOf = (path: string, fullEvery = 1000) =>
  new LedgerWatch({ path, verifierKey: testVerifierKey, fullEvery });

/** The report without the watch's own fields, to compare with verifyLedger's. */
function plain(r: LedgerWatchReport) {
  const { mode: _mode, fullReason: _why, lastFullAt: _at, ...rest } = r;
  return rest;
}

const verify = (path: string, checkpoints: string[] = []) =>
  verifyLedger({ path, verifierKey: testVerifierKey, checkpoints });

/** A deterministic pseudo-random sequence (mulberry32), so every run appends the same pattern. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("agrees with verifyLedger on an intact ledger across many appends, checkpoints and extra notes", async (t) => {
  const tl = openTestLedger(t);
  const watch = watchOf(tl.path);
  const extras: string[] = [];
  const random = rng(7);
  const modes: string[] = [];
  for (let round = 0; round < 40; round++) {
    fill(tl.ledger, Math.floor(random() * 25), `run-${round}`);
    const roll = random();
    if (roll < 0.25) tl.ledger.checkpoint();
    else if (roll < 0.4) extras.push(tl.ledger.checkpoint().note);
    else if (roll < 0.5) {
      // A vault copy of a checkpoint also in the table, and the same note passed twice.
      const note = tl.ledger.checkpoint().note;
      extras.push(note, note);
    }
    const got = await watch.verify(extras);
    modes.push(got.mode);
    const want = verify(tl.path, extras);
    assert.equal(want.ok, true, JSON.stringify(want.firstBad));
    assert.deepEqual(plain(got), want, `round ${round}`);
    assert.equal(got.root, tl.ledger.root());
  }
  assert.equal(modes[0], "full");
  assert.ok(
    modes.slice(1).every((m) => m === "incremental"),
    modes.join(","),
  );
});

test("a full verification every fullEvery calls, and on request", async (t) => {
  const tl = openTestLedger(t);
  const watch = watchOf(tl.path, 3);
  const modes: string[] = [];
  for (let i = 0; i < 7; i++) {
    fill(tl.ledger, 2);
    modes.push((await watch.verify()).mode);
  }
  assert.deepEqual(modes, [
    "full",
    "incremental",
    "incremental",
    "full",
    "incremental",
    "incremental",
    "full",
  ]);
  watch.requestFull("operator asked");
  const r = await watch.verify();
  assert.equal(r.mode, "full");
  assert.equal(r.fullReason, "operator asked");
});

test("a call with periodic: false skips a full pass due by the schedule, never one asked for or forced by doubt", async (t) => {
  const tl = openTestLedger(t);
  let now = 1_000_000;
  const watch = new LedgerWatch({
    path: tl.path,
    verifierKey: testVerifierKey,
    fullEvery: 2,
    fullMaxAgeMs: 60_000,
    now: () => now,
  });
  fill(tl.ledger, 3);
  const first = await watch.verify([], { periodic: false });
  assert.equal(first.mode, "full", "nothing verified yet: a full pass whatever the caller says");
  assert.equal(first.lastFullAt, 1_000_000);
  now += 3_600_000;
  for (let i = 0; i < 3; i++) {
    fill(tl.ledger, 2);
    const r = await watch.verify([], { periodic: false });
    assert.equal(r.mode, "incremental", "due by the hour and by the count, yet only the new rows");
    assert.equal(r.ok, true);
    assert.equal(r.lastFullAt, 1_000_000);
    assert.deepEqual(plain(r), verify(tl.path));
  }
  const scheduled = await watch.verify();
  assert.equal(scheduled.mode, "full", "the heartbeat's call keeps the schedule");
  assert.equal(scheduled.lastFullAt, now);
  watch.requestFull("operator asked");
  assert.equal((await watch.verify([], { periodic: false })).mode, "full");
  tl.ledger.close();
  appendForged(tl.path, (c) => c);
  const forged = await watch.verify([], { periodic: false });
  assert.equal(forged.mode, "full");
  assert.equal(forged.ok, false);
});

/** Inserts a row after the head, as an attacker with SQL access can (INSERT needs no trigger dropped). */
function appendForged(path: string, f: (canonical: string, seq: number) => string, hashOf = entryHash) {
  const db = new Database(path);
  try {
    const [seq, canonical] = db
      .prepare("SELECT seq, canonical FROM ledger ORDER BY seq DESC LIMIT 1")
      .raw()
      .get() as [number, string];
    const next = f(canonical.replace(`,"seq":${seq},`, `,"seq":${seq + 1},`), seq + 1);
    db.prepare("INSERT INTO ledger (seq, entry_hash, canonical) VALUES (?, ?, ?)").run(
      seq + 1,
      hashOf(next),
      next,
    );
  } finally {
    db.close();
  }
}

test("an appended forged row is caught at the next call", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 10);
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  assert.equal((await watch.verify()).mode, "incremental");
  tl.ledger.close();
  // The copy of the head with its own seq keeps the head's prev_hash: the chain does not link.
  appendForged(tl.path, (c) => c);
  const r = await watch.verify();
  assert.equal(r.ok, false);
  assert.deepEqual(r.firstBad, { seq: 11, reason: "chain broken: prev_hash mismatch" });
  assert.equal(r.mode, "full");
  assert.match(r.fullReason ?? "", /chain broken at seq 11/);
  assert.deepEqual(plain(r), verify(tl.path));
});

test("an appended row whose stored hash is not its bytes' is caught", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 4);
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  const head = tl.ledger.head().hash;
  tl.ledger.close();
  appendForged(
    tl.path,
    (c) => c.replace(/,"prev_hash":"[0-9a-f]{64}"/, `,"prev_hash":"${head}"`),
    () => "ab".repeat(32),
  );
  const r = await watch.verify();
  assert.deepEqual(r.firstBad, {
    seq: 5,
    reason: "row edited: entry_hash does not match the canonical bytes",
  });
});

test("an edit through SQLite to an already-verified row is caught at once (the triggers had to go)", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 20);
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  tamper(tl.path, (db) => editCanonical(db, 7, '"note":"step 6"', '"note":"step X"'));
  const r = await watch.verify();
  assert.equal(r.mode, "full");
  assert.match(r.fullReason ?? "", /schema changed/);
  assert.deepEqual(r.firstBad, {
    seq: 7,
    reason: "row edited: entry_hash does not match the canonical bytes",
  });
});

test("an edit written into the file's bytes is caught at the next full pass; the head at once", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 30);
  tl.ledger.close();
  const watch = watchOf(tl.path, 3);
  assert.equal((await watch.verify()).mode, "full");
  // A hex editor leaves the schema cookie alone; only the rows the watch re-reads can show it.
  patchFile(tl.path, '"note":"step 5"', '"note":"step X"');
  const quiet = [await watch.verify(), await watch.verify()];
  assert.ok(
    quiet.every((r) => r.ok && r.mode === "incremental"),
    "what a full pass would see, two calls later",
  );
  const caught = await watch.verify();
  assert.equal(caught.mode, "full");
  assert.match(caught.fullReason ?? "", /periodic/);
  assert.deepEqual(caught.firstBad, {
    seq: 6,
    reason: "row edited: entry_hash does not match the canonical bytes",
  });

  const b = openTestLedger(t);
  fill(b.ledger, 30);
  b.ledger.close();
  const w2 = watchOf(b.path, 1000);
  assert.equal((await w2.verify()).ok, true);
  patchFile(b.path, '"note":"step 29"', '"note":"step XX"');
  const head = await w2.verify();
  assert.equal(head.mode, "full");
  assert.match(head.fullReason ?? "", /the entry at seq 30 \(the verified head\) changed/);
  assert.deepEqual(head.firstBad, {
    seq: 30,
    reason: "row edited: entry_hash does not match the canonical bytes",
  });
});

test("a head rewritten consistently (bytes and hash) passes verifyLedger, not the watch", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 12);
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  tl.ledger.close();
  tamper(tl.path, (db) => {
    editCanonical(db, 12, '"note":"step 11"', '"note":"forged!"');
    rehashFrom(db, 12);
  });
  assert.equal(verify(tl.path).ok, true, "no checkpoint covers the head");
  const r = await watch.verify();
  assert.equal(r.ok, false);
  assert.deepEqual(r.firstBad, {
    seq: 12,
    reason: "row edited: the entry at seq 12 is not the one verified earlier (a rewritten tail?)",
  });
});

test("truncation is caught, with or without a checkpoint covering the lost entries", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 20);
  tl.ledger.checkpoint();
  fill(tl.ledger, 5);
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  tl.ledger.close();
  tamper(tl.path, (db) => db.prepare("DELETE FROM ledger WHERE seq >= 23").run());
  const unsigned = await watch.verify();
  assert.equal(verify(tl.path).ok, true, "the file alone cannot tell");
  assert.deepEqual(unsigned.firstBad, {
    seq: 23,
    reason: "truncated: 26 entries were verified earlier, the ledger now has 23",
  });
  tamper(tl.path, (db) => db.prepare("DELETE FROM ledger WHERE seq >= 15").run());
  const signed = await watch.verify();
  assert.equal(signed.firstBad?.seq, 15);
  assert.match(signed.firstBad?.reason ?? "", /^truncated: checkpoint at size 21 but ledger has 15 entries/);
});

test("a new bad checkpoint is caught at the next call: foreign key, edited row, wrong root", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 8);
  tl.ledger.checkpoint();
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);

  // Signed by another key, inserted as a row (checkpoints accept INSERT).
  const other = newNoteSigner(generateNoteKey("mallory").signerKey);
  const foreign = signNote(
    formatCheckpoint({ origin: ORIGIN, size: tl.ledger.size(), root: Buffer.from(tl.ledger.root(), "hex") }),
    other,
  );
  const db = new Database(tl.path);
  db.prepare("INSERT INTO checkpoints (size, root, note, created_utc) VALUES (?, ?, ?, ?)").run(
    tl.ledger.size(),
    tl.ledger.root(),
    foreign,
    "2026-11-21T15:00:00.000Z",
  );
  db.close();
  const r = await watch.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBad?.reason, "checkpoint not signed by the ledger key (table id 2)");
  assert.deepEqual(plain(r), verify(tl.path));

  // A well-signed extra note whose root is not the ledger's at its size.
  const b = openTestLedger(t);
  fill(b.ledger, 8);
  const w2 = watchOf(b.path);
  assert.equal((await w2.verify()).ok, true);
  fill(b.ledger, 3);
  const wrong = signNote(
    formatCheckpoint({ origin: ORIGIN, size: b.ledger.size(), root: Buffer.alloc(32, 7) }),
    testSigner,
  );
  const bad = await w2.verify([wrong]);
  assert.equal(bad.ok, false);
  assert.match(bad.firstBad?.reason ?? "", /^checkpoint root mismatch at size 12/);
  assert.deepEqual(plain(bad), verify(b.path, [wrong]));
});

test("a checkpoint below the verified size is checked by a full pass", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 5);
  const old = tl.ledger.checkpoint().note;
  fill(tl.ledger, 5);
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  const r = await watch.verify([old]);
  assert.equal(r.ok, true);
  assert.equal(r.mode, "full");
  assert.match(r.fullReason ?? "", /inside the verified prefix/);
  assert.equal((await watch.verify([old])).mode, "incremental", "seen once, it needs no root again");
});

test("a replaced file is verified in full; a restored backup missing entries stays red", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 6);
  tl.ledger.close();
  const backup = join(tl.dir, "backup.db");
  copyFileSync(tl.path, backup);
  const ledger = tl.reopen();
  fill(ledger, 4);
  ledger.close();
  const watch = watchOf(tl.path);
  assert.equal((await watch.verify()).ok, true);
  renameSync(backup, tl.path);
  const r = await watch.verify();
  assert.equal(r.mode, "full");
  assert.match(r.fullReason ?? "", /replaced/);
  assert.deepEqual(r.firstBad, {
    seq: 7,
    reason: "truncated: 11 entries were verified earlier, the ledger now has 7",
  });
});

test("the frontier carried over from a full pass is the ledger's, at sizes across block boundaries", async (t) => {
  const tl = openTestLedger(t);
  // 300 rows with 2 workers makes verifyLedger split the rows into aligned blocks and combine them.
  fill(tl.ledger, 300);
  const watch = new LedgerWatch({ path: tl.path, verifierKey: testVerifierKey, workers: 2 });
  const r = await watch.verify();
  assert.equal(r.ok, true);
  fill(tl.ledger, 3);
  tl.ledger.checkpoint();
  const next = await watch.verify();
  assert.equal(next.mode, "incremental");
  assert.equal(next.root, tl.ledger.root());
});

test("a full pass in a worker thread leaves the event loop free and reports what the calling thread's does", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 300);
  const extra = tl.ledger.checkpoint().note;
  fill(tl.ledger, 20);
  const inWorker = new LedgerWatch({ path: tl.path, verifierKey: testVerifierKey, inlineBelow: 0 });
  let turns = 0;
  let counting = true;
  const tick = () => {
    turns++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  const r = await inWorker.verify([extra]);
  counting = false;
  assert.ok(turns > 0, "the event loop turned while the full pass ran");
  assert.equal(r.mode, "full");
  assert.equal(r.ok, true);
  assert.deepEqual(plain(r), verify(tl.path, [extra]));
  // The state it hands back lets the next call be incremental, as after a pass on this thread.
  fill(tl.ledger, 5);
  const next = await inWorker.verify([extra]);
  assert.equal(next.mode, "incremental");
  assert.deepEqual(plain(next), verify(tl.path, [extra]));

  // A broken ledger is reported the same way from the worker.
  tl.ledger.close();
  tamper(tl.path, (db) => editCanonical(db, 100, "step 99", "step 98"));
  inWorker.requestFull();
  const bad = await inWorker.verify([extra]);
  assert.equal(bad.ok, false);
  assert.deepEqual(plain(bad), verify(tl.path, [extra]));
});

test("calls made while a full pass runs wait for it and continue from its state", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 50);
  const watch = new LedgerWatch({ path: tl.path, verifierKey: testVerifierKey, inlineBelow: 0 });
  const [a, b] = await Promise.all([watch.verify(), watch.verify()]);
  assert.deepEqual([a.mode, b.mode], ["full", "incremental"]);
  assert.deepEqual(plain(a), plain(b));
});

test("a watch resumed from another's mark checks only new rows, and agrees with a full verification", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 40);
  const marks: WatchMark[] = [];
  const first = new LedgerWatch({
    path: tl.path,
    verifierKey: testVerifierKey,
    onVerified: (m) => marks.push(m),
  });
  assert.equal((await first.verify()).mode, "full");
  assert.equal(marks.length, 1);
  assert.equal((await first.verify()).mode, "incremental");
  assert.equal(marks.length, 1, "an unchanged state is not handed out again");
  fill(tl.ledger, 7);
  tl.ledger.checkpoint();
  const resumed = new LedgerWatch({
    path: tl.path,
    verifierKey: testVerifierKey,
    resume: JSON.parse(JSON.stringify(marks[0])),
  });
  const r = await resumed.verify();
  assert.equal(r.mode, "incremental");
  assert.deepEqual(plain(r), verify(tl.path));
  // A truncation below the resumed mark is caught even though no checkpoint covers the lost rows.
  tl.ledger.close();
  tamper(tl.path, (db) => db.prepare("DELETE FROM ledger WHERE seq >= ?").run(30));
  const cut = await new LedgerWatch({
    path: tl.path,
    verifierKey: testVerifierKey,
    resume: marks[0],
  }).verify();
  assert.equal(cut.ok, false);
  assert.equal(cut.mode, "full");
});
