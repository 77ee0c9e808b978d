import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import Database from "better-sqlite3";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { canonicalEntry, entryHash, ZERO_HASH } from "../../src/ledger/ledgerEntry.ts";
import { LEDGER_SCHEMA_VERSION } from "../../src/ledger/ledgerSchema.ts";
import { verifyConsistency } from "../../src/ledger/merkle.ts";
import {
  generateNoteKey,
  newNoteSigner,
  newNoteVerifier,
  openNote,
  parseCheckpoint,
} from "../../src/ledger/signedNote.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { fill, openTestLedger, testSigner, testVerifierKey } from "./helpers.ts";

test("genesis: seq 0 names the origin and the verifier key", (t) => {
  const { ledger } = openTestLedger(t);
  assert.equal(ledger.size(), 1);
  const [g] = ledger.tail(1);
  assert.ok(g);
  assert.equal(g.seq, 0);
  assert.equal(g.eventType, "GENESIS");
  assert.equal(g.prevHash, ZERO_HASH);
  assert.deepEqual(g.payload, {
    schemaVersion: LEDGER_SCHEMA_VERSION,
    origin: "maos-codex/ledger/test",
    publicKey: testVerifierKey,
    createdBy: "maos-codex",
  });
  assert.equal(ledger.head().hash, g.entryHash);
});

test("append/verify round trip: entries chain, stored bytes hash to entry_hash", (t) => {
  const { ledger, path } = openTestLedger(t);
  const e = ledger.appendSync({
    eventType: "run.started",
    level: "warn",
    actor: "U123",
    payload: { stack: "ops", inputs: { b: 2, a: "é" } },
    correlationId: "run-7",
    sealVersion: "v3",
  });
  assert.equal(e.seq, 1);
  assert.equal(e.actorIdentity, "U123");
  assert.equal(e.level, "warn");
  assert.equal(e.sealVersion, "v3");
  assert.equal(e.environment, "test");
  assert.deepEqual(e.payload, { stack: "ops", inputs: { a: "é", b: 2 } });
  const genesis = ledger.tail(2)[0];
  assert.equal(e.prevHash, genesis?.entryHash);
  fill(ledger, 20);
  assert.equal(ledger.size(), 22);
  const db = new Database(path, { readonly: true });
  const row = db.prepare("SELECT * FROM ledger WHERE seq = 1").get() as Record<
    string,
    string | number | null
  >;
  db.close();
  assert.equal(row.payload, '{"inputs":{"a":"é","b":2},"stack":"ops"}');
  assert.equal(entryHash(row.canonical as string), row.entry_hash);
  assert.equal(
    row.canonical,
    canonicalEntry(
      1,
      e.id,
      e.timestampUtc,
      e.timestampCt,
      "run.started",
      "warn",
      "U123",
      row.payload as string,
      "run-7",
      "v3",
      "test",
      e.prevHash,
    ),
  );
  const cp = ledger.checkpoint();
  const report = verifyLedger({ path, verifierKey: testVerifierKey });
  assert.deepEqual(report, {
    ok: true,
    size: 22,
    root: ledger.root(),
    head: ledger.head(),
    origin: "maos-codex/ledger/test",
    checkpointsChecked: 1,
    unattestedTail: 0,
  });
  assert.equal(cp.size, 22);
  assert.equal(cp.root, ledger.root());
});

test("UTC and America/Chicago timestamps with offset on every row (ManualClock)", (t) => {
  const { ledger, clock } = openTestLedger(t);
  const winter = ledger.appendSync({ eventType: "tick", actor: "clock", correlationId: "c" });
  assert.equal(winter.timestampUtc, "2026-11-21T15:00:00.000Z");
  assert.equal(winter.timestampCt, "2026-11-21T09:00:00.000-06:00");
  clock.set("2026-07-04T17:30:00.250Z");
  const summer = ledger.appendSync({ eventType: "tick", actor: "clock", correlationId: "c" });
  assert.equal(summer.timestampUtc, "2026-07-04T17:30:00.250Z");
  assert.equal(summer.timestampCt, "2026-07-04T12:30:00.250-05:00");
  for (const e of ledger.tail(10)) {
    assert.match(e.timestampUtc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(e.timestampCt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[56]:00$/);
  }
});

test("triggers reject UPDATE and DELETE on ledger and checkpoints", (t) => {
  const { ledger, path } = openTestLedger(t);
  fill(ledger, 3);
  ledger.checkpoint();
  const db = new Database(path);
  t.after(() => db.close());
  assert.throws(
    () => db.prepare("UPDATE ledger SET canonical = canonical WHERE seq = 1").run(),
    /append-only: UPDATE/,
  );
  // The seed's columns are generated from the canonical bytes: SQL cannot set them at all.
  assert.throws(
    () => db.prepare("UPDATE ledger SET level = 'error' WHERE seq = 1").run(),
    /cannot UPDATE generated column "level"/,
  );
  assert.throws(() => db.prepare("DELETE FROM ledger WHERE seq = 3").run(), /append-only: DELETE/);
  assert.throws(() => db.prepare("UPDATE checkpoints SET size = 1").run(), /append-only: UPDATE/);
  assert.throws(() => db.prepare("DELETE FROM checkpoints").run(), /append-only: DELETE/);
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
});

test("group commit: 200 concurrent appends get contiguous seqs in call order and verify", async (t) => {
  const { ledger, path } = openTestLedger(t);
  const entries = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      ledger.append({
        eventType: "load",
        actor: `producer-${i % 50}`,
        correlationId: `p-${i % 50}`,
        payload: { i },
      }),
    ),
  );
  assert.deepEqual(
    entries.map((e) => e.seq),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  entries.forEach((e, i) => {
    assert.deepEqual(e.payload, { i });
    if (i > 0) assert.equal(e.prevHash, entries[i - 1]?.entryHash);
  });
  // 50 producers, each awaiting its previous append: batches form per event-loop turn.
  await Promise.all(
    Array.from({ length: 50 }, async (_, p) => {
      for (let k = 0; k < 4; k++)
        await ledger.append({ eventType: "load", actor: `p${p}`, correlationId: `q-${p}`, payload: { k } });
    }),
  );
  assert.equal(ledger.size(), 401);
  ledger.checkpoint();
  const report = verifyLedger({ path, verifierKey: testVerifierKey });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.size, 401);
});

test("appendSync after queued appends keeps call order", async (t) => {
  const { ledger } = openTestLedger(t);
  const queued = ledger.append({ eventType: "a", actor: "x", correlationId: "c" });
  const sync = ledger.appendSync({ eventType: "b", actor: "x", correlationId: "c" });
  const first = await queued;
  assert.equal(first.seq, 1);
  assert.equal(sync.seq, 2);
  assert.equal(sync.prevHash, first.entryHash);
});

test("invalid appends reject at once and write nothing", async (t) => {
  const { ledger } = openTestLedger(t);
  await assert.rejects(
    ledger.append({ eventType: "x", actor: "a", correlationId: "c", payload: { f: () => 1 } }),
    {
      code: "INTERNAL",
    },
  );
  assert.throws(
    () => ledger.appendSync({ eventType: "x", actor: "a", correlationId: "c", payload: 1n }),
    /bigint/,
  );
  assert.throws(
    () => ledger.appendSync({ eventType: "x", actor: "a", correlationId: "c", payload: Number.NaN }),
    /NaN/,
  );
  assert.throws(() => ledger.appendSync({ eventType: "", actor: "a", correlationId: "c" }), /eventType/);
  assert.throws(
    () => ledger.appendSync({ eventType: "x", actor: "a", correlationId: "c", level: "loud" as "info" }),
    /level/,
  );
  assert.equal(ledger.size(), 1);
});

test("reopen continues the chain and the root; the persisted frontier matches a rebuild", async (t) => {
  const tl = openTestLedger(t);
  fill(tl.ledger, 37);
  const before = { size: tl.ledger.size(), root: tl.ledger.root(), head: tl.ledger.head() };
  const cp1 = tl.ledger.checkpoint();
  tl.ledger.close();
  tl.ledger = tl.reopen();
  assert.deepEqual({ size: tl.ledger.size(), root: tl.ledger.root(), head: tl.ledger.head() }, before);
  tl.ledger.rebuildMerkleState();
  const next = await tl.ledger.append({ eventType: "after", actor: "x", correlationId: "c" });
  assert.equal(next.seq, 38);
  assert.equal(next.prevHash, before.head.hash);
  fill(tl.ledger, 5);
  const cp2 = tl.ledger.checkpoint();
  assert.deepEqual(tl.ledger.latestCheckpoint(), cp2);
  const report = verifyLedger({ path: tl.path, verifierKey: testVerifierKey });
  assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  assert.equal(report.checkpointsChecked, 2);
  // A third party holding only the two checkpoints and a consistency proof can check them.
  const verifier = newNoteVerifier(testVerifierKey);
  const a = parseCheckpoint(openNote(cp1.note, [verifier]).text);
  const b = parseCheckpoint(openNote(cp2.note, [verifier]).text);
  const proof = tl.ledger.consistencyProof(a.size).map((h) => Buffer.from(h, "hex"));
  assert.equal(verifyConsistency(a.size, b.size, a.root, b.root, proof), true);
});

test("reopening with another key or origin is refused", (t) => {
  const tl = openTestLedger(t);
  tl.ledger.close();
  const other = newNoteSigner(generateNoteKey("maos-codex-test").signerKey);
  assert.throws(
    () =>
      Ledger.open({
        path: tl.path,
        signer: other,
        clock: tl.clock,
        environment: "test",
        origin: "maos-codex/ledger/test",
      }),
    { code: "LEDGER_BROKEN" },
  );
  assert.throws(
    () =>
      Ledger.open({
        path: tl.path,
        signer: testSigner,
        clock: tl.clock,
        environment: "test",
        origin: "elsewhere",
      }),
    { code: "CONFIG_INVALID" },
  );
  tl.ledger = tl.reopen();
});

test("tail, byCorrelation and query find runs that started but never finished", (t) => {
  const { ledger } = openTestLedger(t);
  for (const run of ["r1", "r2", "r3"])
    ledger.appendSync({ eventType: "run.started", actor: "U1", correlationId: run, payload: { run } });
  ledger.appendSync({ eventType: "run.step", actor: "agent", correlationId: "r1" });
  ledger.appendSync({ eventType: "run.completed", actor: "agent", correlationId: "r1" });
  ledger.appendSync({ eventType: "run.completed", actor: "agent", correlationId: "r3" });
  assert.deepEqual(
    ledger.byCorrelation("r1").map((e) => e.eventType),
    ["run.started", "run.step", "run.completed"],
  );
  const started = ledger.query({ eventType: "run.started" }).map((e) => e.correlationId);
  const done = new Set(ledger.query({ eventType: "run.completed" }).map((e) => e.correlationId));
  assert.deepEqual(
    started.filter((r) => !done.has(r)),
    ["r2"],
  );
  assert.deepEqual(
    ledger.query({ eventType: "run.started", newestFirst: true, limit: 2 }).map((e) => e.correlationId),
    ["r3", "r2"],
  );
  assert.deepEqual(
    ledger.tail(2).map((e) => e.seq),
    [5, 6],
  );
  assert.equal(ledger.query({ limit: 3 })[0]?.eventType, "GENESIS");
  assert.equal(ledger.query().length, 7);
});

test("payloadFields reads what query would return, field by field, newest first, from a time on", (t) => {
  const { ledger, clock } = openTestLedger(t);
  const attempt = (provider: unknown, outcome: string, error?: unknown) => {
    clock.set(new Date(clock.now().getTime() + 60_000));
    ledger.appendSync({
      eventType: "attempt",
      actor: "agent",
      correlationId: "r1",
      payload: { provider, outcome, ...(error !== undefined ? { error } : {}), ok: outcome === "ok" },
    });
  };
  attempt("openai", "ok");
  attempt("anthropic", "error", { code: "TIMEOUT" });
  ledger.appendSync({ eventType: "other", actor: "agent", correlationId: "r1", payload: { provider: "x" } });
  const since = new Date(clock.now().getTime() + 1).toISOString();
  attempt(7, "error", "flat");
  attempt("openai", "ok");
  const fields = (f: Parameters<Ledger["payloadFields"]>[0], paths: string[]) =>
    ledger.payloadFields(f, paths);
  // The same entries as query, newest first, with each field as JSON has it (true as 1, absent as null).
  const entries = ledger.query({ eventType: "attempt", newestFirst: true });
  assert.deepEqual(
    fields({ eventType: "attempt" }, ["provider", "outcome", "error.code", "ok"]),
    entries.map((e) => {
      const p = e.payload as { provider: unknown; outcome: string; error?: { code?: string }; ok: boolean };
      return [p.provider, p.outcome, p.error?.code ?? null, p.ok ? 1 : 0];
    }),
  );
  assert.deepEqual(fields({ eventType: "attempt", limit: 3 }, ["provider"]), [
    ["openai"],
    [7],
    ["anthropic"],
  ]);
  assert.deepEqual(fields({ eventType: "attempt", afterSeq: 2 }, ["provider"]), [["openai"], [7]]);
  // sinceUtc drops what is older than it after the limit is applied, as the telemetry window does.
  assert.deepEqual(fields({ eventType: "attempt", sinceUtc: since }, ["provider"]), [["openai"], [7]]);
  assert.deepEqual(fields({ eventType: "attempt", limit: 1, sinceUtc: since }, []), [[1]]);
  assert.equal(fields({ eventType: "none" }, ["provider"]).length, 0);
  assert.equal(fields({}, []).length, ledger.size());
  assert.throws(() => fields({}, ["provider') --"]), /not a dotted name/);
});

test("closed ledger refuses work; close writes queued appends first", async (t) => {
  const { ledger } = openTestLedger(t);
  const p = ledger.append({ eventType: "late", actor: "x", correlationId: "c" });
  ledger.close();
  assert.equal((await p).seq, 1);
  assert.throws(() => ledger.appendSync({ eventType: "x", actor: "a", correlationId: "c" }), /closed/);
});

const hasSqlite3 = (() => {
  try {
    execFileSync("sqlite3", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

test("the sqlite3 command-line tool reads the ledger", {
  skip: !hasSqlite3 && "needs environment: the sqlite3 command-line tool",
}, (t) => {
  const { ledger, path } = openTestLedger(t);
  fill(ledger, 2);
  ledger.checkpoint();
  const out = execFileSync(
    "sqlite3",
    [
      path,
      "SELECT seq, event_type, level, correlation_id FROM ledger ORDER BY seq; SELECT count(*) FROM checkpoints;",
    ],
    {
      encoding: "utf8",
    },
  );
  assert.equal(out, "0|GENESIS|info|genesis\n1|run.step|info|run-1\n2|run.step|info|run-1\n1\n");
});

test("the seed's fields are generated from the canonical bytes, and plain selects come back in ledger order", (t) => {
  const { ledger, path } = openTestLedger(t);
  // Types and correlations out of alphabetical order, so an index-ordered answer would show.
  ledger.appendSync({ eventType: "zeta", actor: "U2", correlationId: "r-9", payload: "text" });
  ledger.appendSync({ eventType: "alpha", actor: "U1", correlationId: "r-1", payload: [1, { b: 2, a: 1 }] });
  ledger.appendSync({
    eventType: "mid",
    level: "critical",
    actor: "U3",
    correlationId: "r-5",
    sealVersion: "v2",
  });
  ledger.close();
  const queries = [
    "SELECT event_type FROM ledger",
    "SELECT correlation_id FROM ledger",
    "SELECT id FROM ledger",
    "SELECT payload FROM ledger",
  ];
  const db = new Database(path, { readonly: true });
  t.after(() => db.close());
  const read = (sql: string) => (db.prepare(sql).raw().all() as unknown[][]).map((r) => r[0]);
  const bySeq = (col: string) => read(`SELECT ${col} FROM ledger ORDER BY seq`);
  assert.deepEqual(read(queries[0] as string), ["GENESIS", "zeta", "alpha", "mid"]);
  assert.deepEqual(read(queries[1] as string), ["genesis", "r-9", "r-1", "r-5"]);
  assert.deepEqual(read(queries[2] as string), bySeq("id"));
  assert.deepEqual(read(queries[3] as string).slice(1), ['"text"', '[1,{"a":1,"b":2}]', "{}"]);
  const row = db.prepare("SELECT * FROM ledger WHERE seq = 3").get() as Record<string, unknown>;
  const written = JSON.parse(row.canonical as string);
  for (const key of ["id", "timestamp_utc", "timestamp_ct", "event_type", "level", "actor_identity"]) {
    assert.equal(row[key], written[key], key);
  }
  assert.deepEqual(
    [row.level, row.correlation_id, row.seal_version, row.environment, row.prev_hash],
    ["critical", "r-5", "v2", "test", written.prev_hash],
  );
  if (hasSqlite3) {
    for (const sql of queries) {
      const out = execFileSync("sqlite3", [path, `${sql};`], { encoding: "utf8" });
      assert.deepEqual(out.trimEnd().split("\n"), read(sql).map(String), sql);
    }
  }
});
