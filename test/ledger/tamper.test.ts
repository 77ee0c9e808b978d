import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import type { CodexError } from "../../src/core/CodexError.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { entryHash } from "../../src/ledger/ledgerEntry.ts";
import { generateNoteKey, newNoteSigner, signNote } from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { runRanges } from "../../src/ledger/verifyRanges.ts";
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
  // The seed's columns are generated from the canonical bytes, so those bytes are what an attacker edits.
  tamper(path, (db) => editCanonical(db, 7, '"actor_identity":"agent:prime"', '"actor_identity":"mallory"'));
  const db = new Database(path, { readonly: true });
  assert.equal(db.prepare("SELECT actor_identity FROM ledger WHERE seq = 7").pluck().get(), "mallory");
  db.close();
  assert.deepEqual(verify(path).firstBad, {
    seq: 7,
    reason: "row edited: entry_hash does not match the canonical bytes",
  });
});

test("an edited payload and an edited stored hash are caught", (t) => {
  const { path } = build(t);
  tamper(path, (db) => editCanonical(db, 3, '"step":0}', '"step":99}'));
  assert.deepEqual(verify(path).firstBad, {
    seq: 3,
    reason: "row edited: entry_hash does not match the canonical bytes",
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
    editCanonical(db, 14, '"note":"step 0"', '"note":"forged"');
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
    editCanonical(db, 2, '"level":"info"', '"level":"debug"');
    rehashFrom(db, 2);
  });
  assert.equal(verify(path).firstBad?.seq, 0);
  const bare = build(t, 20, []);
  tamper(bare.path, (db) => {
    editCanonical(db, 2, '"level":"info"', '"level":"debug"');
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
    const cols = "entry_hash, canonical";
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

test("a type-only edit (TEXT to BLOB with the same bytes) is caught", (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 3);
  tl.ledger.close();
  // The hash of the bytes is unchanged, but a BLOB is not what the writer stored (nor JSON text to SQLite).
  tamper(tl.path, (db) => {
    db.prepare("UPDATE ledger SET canonical = CAST(canonical AS BLOB) WHERE seq = 1").run();
    db.prepare("UPDATE ledger SET entry_hash = CAST(entry_hash AS BLOB) WHERE seq = 2").run();
  });
  assert.deepEqual(verify(tl.path).firstBad, {
    seq: 1,
    reason: "row edited: canonical or entry_hash is not TEXT",
  });
  tamper(tl.path, (db) =>
    db.prepare("UPDATE ledger SET canonical = CAST(canonical AS TEXT) WHERE seq = 1").run(),
  );
  assert.deepEqual(verify(tl.path).firstBad, {
    seq: 2,
    reason: "row edited: canonical or entry_hash is not TEXT",
  });
});

test("rows whose text needs JSON escaping, or a seal version, verify and are checked like any other", (t) => {
  const tl = openTestLedger(t);
  tl.ledger.appendSync({
    eventType: 'quote"d',
    actor: "back\\slash",
    correlationId: "tab\there",
    payload: { s: '"\\\n' },
    sealVersion: 'v"2\\',
  });
  fill(tl.ledger, 2);
  tl.ledger.close();
  assert.equal(verify(tl.path).ok, true);
  assert.equal(verify(tl.path, { deep: true }).ok, true);
  const db = new Database(tl.path, { readonly: true });
  assert.deepEqual(
    db
      .prepare(
        "SELECT event_type, actor_identity, correlation_id, seal_version, payload FROM ledger WHERE seq = 1",
      )
      .get(),
    {
      event_type: 'quote"d',
      actor_identity: "back\\slash",
      correlation_id: "tab\there",
      seal_version: 'v"2\\',
      payload: '{"s":"\\"\\\\\\n"}',
    },
  );
  db.close();
  tamper(tl.path, (db) => editCanonical(db, 1, "back\\\\slash", "back\\\\\\\\slash"));
  assert.equal(verify(tl.path).firstBad?.seq, 1);
});

test("deep mode catches a non-canonical payload that the writer could not have produced", (t) => {
  const { path } = build(t);
  const forge = (db: Database.Database) => {
    editCanonical(db, 1, '"payload":{"note":"step 0","step":0}', '"payload":{"step":0, "note":"step 0"}');
    rehashFrom(db, 1);
  };
  tamper(path, forge);
  assert.match(
    verify(path, { deep: true }).firstBad?.reason ?? "",
    /not RFC 8785 canonical|checkpoint root mismatch/,
  );
  const bare = build(t, 5, []);
  tamper(bare.path, forge);
  assert.equal(verify(bare.path).ok, true);
  assert.deepEqual(verify(bare.path, { deep: true }).firstBad, {
    seq: 1,
    reason: "row edited: payload is not RFC 8785 canonical JSON",
  });
});

test("the parallel path (worker thread, small blocks) and an unmapped file give the same report, intact and tampered", (t) => {
  const tl = openTestLedger(t);
  for (let i = 0; i < 300; i++) {
    fill(tl.ledger, 1);
    if ([37, 128, 200, 301].includes(tl.ledger.size())) tl.ledger.checkpoint();
  }
  tl.ledger.close();
  const single = verify(tl.path, { workers: 0 });
  assert.equal(single.ok, true, JSON.stringify(single.firstBad));
  // The calling thread claims chunks too, and on a ledger this small may scan all of them before a worker
  // has loaded: scanHere false leaves every chunk to the workers, so their path is what is checked.
  // mapFile false: the bot's way (it reads through the page cache, so no large map is unmapped at the end).
  const parallel = [
    { workers: 1 },
    { workers: 1, scanHere: false },
    { workers: 2, scanHere: false },
    { workers: 0, mapFile: false },
    { workers: 2, scanHere: false, mapFile: false },
  ];
  for (const opts of parallel) assert.deepEqual(verify(tl.path, opts), single, JSON.stringify(opts));
  tamper(tl.path, (db) => {
    editCanonical(db, 250, '"level":"info"', '"level":"error"');
    rehashFrom(db, 250);
  });
  const s2 = verify(tl.path, { workers: 0 });
  for (const opts of parallel) assert.deepEqual(verify(tl.path, opts), s2, JSON.stringify(opts));
  assert.equal(s2.firstBad?.seq, 200);
  tamper(tl.path, (db) => editCanonical(db, 260, '"event_type":"run.step"', '"event_type":"x"'));
  for (const opts of parallel) assert.equal(verify(tl.path, opts).firstBad?.seq, 260, JSON.stringify(opts));
});

test("the worker path reports a gap and a BLOB row at their seq, like one thread", (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 299);
  tl.ledger.close();
  const cases: [string, (db: Database.Database) => void][] = [
    ["gap", (db) => db.prepare("DELETE FROM ledger WHERE seq = 150").run()],
    [
      "blob",
      (db) => db.prepare("UPDATE ledger SET canonical = CAST(canonical AS BLOB) WHERE seq = 40").run(),
    ],
  ];
  for (const [what, edit] of cases) {
    tamper(tl.path, edit);
    const single = verify(tl.path, { workers: 0 });
    const parallel = verify(tl.path, { workers: 2, scanHere: false });
    assert.equal(single.ok, false, what);
    // With rows missing, the root of what was read is not a root the ledger ever had; the finding is.
    assert.deepEqual({ ...parallel, root: "" }, { ...single, root: "" }, what);
  }
});

test("a range worker that cannot open the ledger fails the verification, naming why (not after the timeout)", () => {
  const db = new Database(":memory:");
  try {
    assert.throws(
      () =>
        runRanges(
          { path: "x", verifierKey: testVerifierKey, workers: 1, scanHere: false },
          join(tmpdir(), "maos-no-such-dir", "ledger.db"),
          [300],
          300,
          db,
        ),
      (err: CodexError) =>
        err.code === "INTERNAL" &&
        /Cannot open database/.test(String((err.details as { error: string }).error)),
    );
  } finally {
    db.close();
  }
});

test("payload keys named prev_hash and seq, and a seal version holding them as text, do not confuse the chain", (t) => {
  const tl = openTestLedger(t);
  const genesisHash = tl.ledger.head().hash;
  for (let i = 1; i <= 8; i++) {
    // Each payload claims another entry's seq and links to the genesis: a reader taking the FIRST
    // occurrence of these keys would see a broken chain or a reorder where there is none.
    tl.ledger.appendSync({
      eventType: "run.step",
      actor: "agent:prime",
      correlationId: "run-1",
      payload: { prev_hash: genesisHash, seq: 9 - i, nested: { seq: 0, prev_hash: genesisHash } },
      sealVersion: i % 2 === 0 ? ',"seq":1,"prev_hash":"' : null,
    });
  }
  tl.ledger.checkpoint();
  tl.ledger.close();
  for (const workers of [0, 1]) {
    const r = verify(tl.path, { workers });
    assert.equal(r.ok, true, JSON.stringify(r.firstBad));
    assert.equal(verify(tl.path, { workers, deep: true }).ok, true);
  }
  tamper(tl.path, (db) => {
    db.exec(`
      UPDATE ledger SET seq = -1 WHERE seq = 3;
      UPDATE ledger SET seq = 3 WHERE seq = 6;
      UPDATE ledger SET seq = 6 WHERE seq = -1;
    `);
  });
  assert.deepEqual(verify(tl.path).firstBad, {
    seq: 3,
    reason: "reordered: the row at seq 3 holds the entry written as seq 6",
  });
});

test("the top-level prev_hash is the one checked: editing it (and re-hashing the row) breaks the chain there", (t) => {
  const { path } = build(t, 20, []);
  tamper(path, (db) => {
    const canonical = db.prepare("SELECT canonical FROM ledger WHERE seq = 9").pluck().get() as string;
    const at = canonical.lastIndexOf(',"prev_hash":"') + 14;
    const forged = `${canonical.slice(0, at)}${"ab".repeat(32)}${canonical.slice(at + 64)}`;
    db.prepare("UPDATE ledger SET canonical = ?, entry_hash = ? WHERE seq = 9").run(
      forged,
      entryHash(forged),
    );
  });
  assert.deepEqual(verify(path).firstBad, { seq: 9, reason: "chain broken: prev_hash mismatch" });
});

test("canonical bytes SQL would refuse (not JSON), written into the file directly, are caught at their seq", (t) => {
  const { path } = build(t);
  const db = new Database(path, { readonly: true });
  const canonical = db.prepare("SELECT canonical FROM ledger WHERE seq = 12").pluck().get() as string;
  db.close();
  patchFile(path, canonical, `#${canonical.slice(1)}`);
  for (const workers of [0, 1]) {
    assert.deepEqual(verify(path, { workers }).firstBad, {
      seq: 12,
      reason: "row edited: entry_hash does not match the canonical bytes",
    });
  }
});

test("a ledger table whose generated columns were rewritten in the file fails as a schema edit", (t) => {
  const { path } = build(t);
  // Same length, so the file stays valid SQLite: actor_identity now shows a constant, not the bytes.
  const expr = "json_extract(canonical, '$.actor_identity')";
  patchFile(path, expr, `'mallory'${" ".repeat(expr.length - 9)}`);
  const db = new Database(path, { readonly: true });
  assert.equal(db.prepare("SELECT actor_identity FROM ledger WHERE seq = 3").pluck().get(), "mallory");
  db.close();
  const r = verify(path);
  assert.equal(r.ok, false);
  assert.deepEqual(r.firstBad, {
    seq: 0,
    reason:
      "schema edited: the ledger table's definition is not this build's, so its columns may not show the hashed bytes",
  });
  assert.throws(
    () =>
      Ledger.open({
        path,
        signer: testSigner,
        clock: new ManualClock(),
        environment: "test",
        origin: "maos-codex/ledger/test",
      }),
    { code: "LEDGER_BROKEN", message: /the ledger table is not the schema 2 layout/ },
  );
});

test("a schema version 1 ledger is refused with a clear error, unchanged", (t) => {
  const tl = openTestLedger(t);
  tl.ledger.close();
  const v1 = join(tl.dir, "v1.db");
  const db = new Database(v1);
  db.exec(readFileSync(new URL("../fixtures/ledger/ledger-v1-schema.sql", import.meta.url), "utf8"));
  db.close();
  const before = readFileSync(v1);
  assert.throws(
    () => verify(v1),
    (err: CodexError) => {
      assert.equal(err.code, "LEDGER_BROKEN");
      assert.match(err.message, /has schema version 1; this build verifies 2/);
      return true;
    },
  );
  assert.throws(
    () =>
      Ledger.open({
        path: v1,
        signer: testSigner,
        clock: tl.clock,
        environment: "test",
        origin: "maos-codex/ledger/test",
      }),
    (err: CodexError) => {
      assert.equal(err.code, "LEDGER_BROKEN");
      assert.match(err.message, /has schema version 1; this build reads 2/);
      assert.match(err.hint ?? "", /move ledger\.db aside/);
      return true;
    },
  );
  assert.deepEqual(readFileSync(v1), before);
});
