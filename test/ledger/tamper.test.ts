import assert from "node:assert/strict";
import { test } from "node:test";
import { generateNoteKey, newNoteSigner, signNote } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { fill, openTestLedger, rehashFrom, tamper, testSigner, testVerifierKey } from "./helpers.ts";

function build(t: Parameters<typeof openTestLedger>[0], n = 20, checkpointsAt: number[] = [10, 20]) {
  const tl = openTestLedger(t);
  for (let i = 1; i < n; i++) {
    fill(tl.ledger, 1);
    if (checkpointsAt.includes(tl.ledger.size())) tl.ledger.checkpoint();
  }
  tl.ledger.close();
  return tl;
}

const verify = (path: string, extra: Partial<Parameters<typeof verifyLedger>[0]> = {}) =>
  verifyLedger({ path, verifierKey: testVerifierKey, ...extra });

test("intact ledger verifies", (t) => {
  const { path } = build(t);
  const r = verify(path);
  assert.equal(r.ok, true, JSON.stringify(r.firstBad));
  assert.equal(r.size, 20);
  assert.equal(r.checkpointsChecked, 2);
  assert.equal(r.unattestedTail, 0);
});

test("a row edited after DROP TRIGGER is caught at its seq", (t) => {
  const { path } = build(t);
  tamper(path, (db) => db.prepare("UPDATE ledger SET actor_identity = 'mallory' WHERE seq = 7").run());
  const r = verify(path);
  assert.equal(r.ok, false);
  assert.equal(r.firstBad?.seq, 7);
  assert.match(
    r.firstBad?.reason ?? "",
    /^row edited: canonical bytes do not match columns \(actor_identity\)/,
  );
});

test("an edited payload and an edited stored hash are caught", (t) => {
  const { path } = build(t);
  tamper(path, (db) =>
    db.prepare(`UPDATE ledger SET payload = '{"note":"step 2","step":99}' WHERE seq = 3`).run(),
  );
  assert.deepEqual(verify(path).firstBad, {
    seq: 3,
    reason: "row edited: canonical bytes do not match columns (payload)",
  });
  const b = build(t);
  tamper(b.path, (db) =>
    db.prepare(`UPDATE ledger SET entry_hash = '${"ab".repeat(32)}' WHERE seq = 5`).run(),
  );
  assert.deepEqual(verify(b.path).firstBad, {
    seq: 5,
    reason: "row edited: entry_hash does not match the canonical bytes",
  });
});

test("a re-hashed chain (edit + recompute every hash) is caught by the signed checkpoint", (t) => {
  const { path } = build(t);
  tamper(path, (db) => {
    db.prepare(`UPDATE ledger SET payload = '{"note":"forged","step":0}' WHERE seq = 14`).run();
    rehashFrom(db, 14);
  });
  const r = verify(path);
  assert.equal(r.ok, false);
  // The chain itself is consistent now; only the checkpoint at 20 disowns entries 10..19.
  assert.equal(r.firstBad?.seq, 10);
  assert.equal(
    r.firstBad?.reason,
    "checkpoint root mismatch at size 20 (re-hashed chain?): an entry in seq 10..19 differs from what was signed",
  );
  assert.equal(r.unattestedTail, 10);
});

test("a re-hashed chain before the first checkpoint points at seq 0; without checkpoints it is unattested", (t) => {
  const { path } = build(t);
  tamper(path, (db) => {
    db.prepare(`UPDATE ledger SET level = 'debug' WHERE seq = 2`).run();
    rehashFrom(db, 2);
  });
  assert.equal(verify(path).firstBad?.seq, 0);
  const bare = build(t, 20, []);
  tamper(bare.path, (db) => {
    db.prepare(`UPDATE ledger SET level = 'debug' WHERE seq = 2`).run();
    rehashFrom(db, 2);
  });
  const r = verify(bare.path);
  assert.equal(r.ok, true, "nothing signed covers it");
  assert.equal(r.unattestedTail, 20);
});

test("a truncated tail after a checkpoint is caught", (t) => {
  const { path } = build(t);
  tamper(path, (db) => db.prepare("DELETE FROM ledger WHERE seq >= 16").run());
  const r = verify(path);
  assert.equal(r.ok, false);
  assert.equal(r.size, 16);
  assert.equal(r.firstBad?.seq, 16);
  assert.match(r.firstBad?.reason ?? "", /^truncated: checkpoint at size 20 but ledger has 16 entries/);
});

test("truncation that also deletes the checkpoint rows is caught by a checkpoint kept elsewhere", (t) => {
  const tl = build(t);
  const notes = (() => {
    const l = tl.reopen();
    const n = l.latestCheckpoint()?.note as string;
    l.close();
    return [n];
  })();
  tamper(tl.path, (db) => {
    db.prepare("DELETE FROM ledger WHERE seq >= 12").run();
    db.prepare("DELETE FROM checkpoints WHERE size > 12").run();
  });
  assert.equal(verify(tl.path).ok, true, "the file alone cannot tell");
  const r = verify(tl.path, { checkpoints: notes });
  assert.equal(r.firstBad?.seq, 12);
  assert.match(
    r.firstBad?.reason ?? "",
    /^truncated: checkpoint at size 20 but ledger has 12 entries \(extra #1\)/,
  );
});

test("two swapped rows are caught at the first of them", (t) => {
  const { path } = build(t);
  tamper(path, (db) => {
    const cols =
      "id, timestamp_utc, timestamp_ct, event_type, level, actor_identity, payload, correlation_id, seal_version, environment, prev_hash, entry_hash, canonical";
    db.exec(`
      CREATE TEMP TABLE a AS SELECT ${cols} FROM ledger WHERE seq = 5;
      CREATE TEMP TABLE b AS SELECT ${cols} FROM ledger WHERE seq = 6;
      DELETE FROM ledger WHERE seq IN (5, 6);
      INSERT INTO ledger (seq, ${cols}) SELECT 5, ${cols} FROM b;
      INSERT INTO ledger (seq, ${cols}) SELECT 6, ${cols} FROM a;
    `);
  });
  const r = verify(path);
  assert.equal(r.ok, false);
  assert.deepEqual(r.firstBad, {
    seq: 5,
    reason: "reordered: the row at seq 5 holds the entry written as seq 6",
  });
});

test("a deleted middle row is a gap", (t) => {
  const { path } = build(t);
  tamper(path, (db) => db.prepare("DELETE FROM ledger WHERE seq = 4").run());
  assert.equal(verify(path).firstBad?.seq, 4);
});

test("checkpoint problems: bad signature, foreign key, edited columns, wrong origin", (t) => {
  const { path } = build(t);
  tamper(path, (db) => {
    const note = db.prepare("SELECT note FROM checkpoints WHERE size = 20").pluck().get() as string;
    const [body = "", sig = ""] = note.split("\n\n");
    const forged = body.replace(
      /^maos-codex\/ledger\/test\n20\n[^\n]+$/,
      `maos-codex/ledger/test\n20\n${Buffer.alloc(32).toString("base64")}`,
    );
    db.prepare("INSERT INTO checkpoints (size, root, note, created_utc) VALUES (20, ?, ?, 'x')").run(
      "00".repeat(32),
      `${forged}\n\n${sig}`,
    );
  });
  const r = verify(path);
  assert.equal(r.ok, false);
  assert.match(r.firstBad?.reason ?? "", /^bad signature on checkpoint \(table id 3\)/);
  assert.equal(r.checkpointsChecked, 3);

  const other = newNoteSigner(generateNoteKey("maos-codex-test").signerKey);
  const b = build(t);
  const foreign = signNote(`maos-codex/ledger/test\n20\n${Buffer.alloc(32).toString("base64")}\n`, other);
  assert.match(
    verify(b.path, { checkpoints: [foreign] }).firstBad?.reason ?? "",
    /not signed by the ledger key \(extra #1\)/,
  );

  const wrongOrigin = signNote(`elsewhere\n20\n${Buffer.alloc(32).toString("base64")}\n`, testSigner);
  assert.match(
    verify(b.path, { checkpoints: [wrongOrigin] }).firstBad?.reason ?? "",
    /^checkpoint origin "elsewhere"/,
  );

  const c = build(t);
  tamper(c.path, (db) => db.prepare("UPDATE checkpoints SET size = 19 WHERE size = 20").run());
  assert.match(verify(c.path).firstBad?.reason ?? "", /^checkpoint row edited/);
});

test("a ledger checked against the wrong key fails at genesis", (t) => {
  const { path } = build(t);
  const r = verifyLedger({ path, verifierKey: generateNoteKey("maos-codex-test").verifierKey });
  assert.equal(r.ok, false);
  assert.equal(r.firstBad?.seq, 0);
  assert.match(r.firstBad?.reason ?? "", /^genesis/);
  assert.throws(() => verifyLedger({ path: `${path}.missing`, verifierKey: testVerifierKey }), {
    code: "NOT_FOUND",
  });
});

test("a type-only edit (TEXT to BLOB with the same bytes) is caught by the exact check", (t) => {
  const tl = openTestLedger(t);
  tl.ledger.appendSync({ eventType: "x", actor: "12345", correlationId: "c" });
  tl.ledger.close();
  // TEXT affinity turns an INTEGER back into text, but a BLOB keeps its type.
  tamper(tl.path, (db) => db.prepare("UPDATE ledger SET actor_identity = X'3132333435' WHERE seq = 1").run());
  assert.deepEqual(verify(tl.path).firstBad, {
    seq: 1,
    reason: "row edited: canonical bytes do not match columns (actor_identity)",
  });
});

test("rows whose text needs JSON escaping take the exact path and still verify", (t) => {
  const tl = openTestLedger(t);
  tl.ledger.appendSync({
    eventType: 'quote"d',
    actor: "back\\slash",
    correlationId: "tab\there",
    payload: { s: '"\\\n' },
  });
  tl.ledger.close();
  assert.equal(verify(tl.path).ok, true);
  assert.equal(verify(tl.path, { deep: true }).ok, true);
  tamper(tl.path, (db) =>
    db.prepare(`UPDATE ledger SET actor_identity = 'back\\\\slash' WHERE seq = 1`).run(),
  );
  assert.equal(verify(tl.path).firstBad?.seq, 1);
});

test("deep mode catches a non-canonical payload that the writer could not have produced", (t) => {
  const { path } = build(t);
  tamper(path, (db) => {
    db.prepare(`UPDATE ledger SET payload = '{"step":0, "note":"step 0"}' WHERE seq = 1`).run();
    rehashFrom(db, 1);
  });
  assert.match(
    verify(path, { deep: true }).firstBad?.reason ?? "",
    /not RFC 8785 canonical|checkpoint root mismatch/,
  );
  const bare = build(t, 5, []);
  tamper(bare.path, (db) => {
    db.prepare(`UPDATE ledger SET payload = '{"step":0, "note":"step 0"}' WHERE seq = 1`).run();
    rehashFrom(db, 1);
  });
  assert.equal(verify(bare.path).ok, true);
  assert.deepEqual(verify(bare.path, { deep: true }).firstBad, {
    seq: 1,
    reason: "row edited: payload is not RFC 8785 canonical JSON",
  });
});

test("the parallel path (worker thread, small blocks) gives the same report, intact and tampered", (t) => {
  const tl = openTestLedger(t);
  for (let i = 0; i < 300; i++) {
    fill(tl.ledger, 1);
    if ([37, 128, 200, 301].includes(tl.ledger.size())) tl.ledger.checkpoint();
  }
  tl.ledger.close();
  const single = verify(tl.path, { workers: 0 });
  const parallel = verify(tl.path, { workers: 1 });
  assert.equal(single.ok, true, JSON.stringify(single.firstBad));
  assert.deepEqual(parallel, single);
  tamper(tl.path, (db) => {
    db.prepare(`UPDATE ledger SET level = 'error' WHERE seq = 250`).run();
    rehashFrom(db, 250);
  });
  const s2 = verify(tl.path, { workers: 0 });
  assert.deepEqual(verify(tl.path, { workers: 1 }), s2);
  assert.equal(s2.firstBad?.seq, 200);
  tamper(tl.path, (db) => db.prepare(`UPDATE ledger SET event_type = 'x' WHERE seq = 260`).run());
  assert.equal(verify(tl.path, { workers: 1 }).firstBad?.seq, 260);
});
