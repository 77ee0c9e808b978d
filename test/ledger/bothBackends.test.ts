/**
 * The ledger's behaviour, once, against both backends: the SQLite file (`Ledger`) and PostgreSQL
 * (`PgLedger`, on the test run's throwaway cluster). Each case is written against `LedgerStore`, so
 * what holds for one holds for the other; verification goes through `verifyLedger` on the file, or on
 * a `maos ledger export` of the database, as an auditor's would.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ManualClock } from "../../src/core/clock.ts";
import { exportLedgerToSqlite } from "../../src/ledger/exportLedger.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import type { LedgerStore } from "../../src/ledger/LedgerStore.ts";
import { ZERO_HASH } from "../../src/ledger/ledgerEntry.ts";
import { LEDGER_SCHEMA_VERSION } from "../../src/ledger/ledgerSchema.ts";
import { verifyConsistency } from "../../src/ledger/merkle.ts";
import { PgLedger } from "../../src/ledger/pg/PgLedger.ts";
import { pgLedgerSnapshot } from "../../src/ledger/pg/pgLedgerSnapshot.ts";
import { generateNoteKey, type NoteSigner, newNoteSigner } from "../../src/ledger/signedNote.ts";
import { type VerifyReport, verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { pgSkip, pgTestDatabase } from "../helpers/pgTestDb.ts";

const key = generateNoteKey("maos-codex-test");
const signer = newNoteSigner(key.signerKey);
const ORIGIN = "maos-codex/ledger/test";

type Hooks = { after: (f: () => unknown) => void };

interface Backend {
  name: string;
  skip: string | false;
  /** A fresh, empty place for one ledger (a file path or a database URL). */
  fresh(t: Hooks): Promise<string>;
  open(
    where: string,
    opts: { clock: ManualClock; signer?: NoteSigner; origin?: string },
  ): Promise<LedgerStore>;
  verify(where: string, verifierKey: string): Promise<VerifyReport>;
}

const tempDir = (t: Hooks) => {
  const dir = mkdtempSync(path.join(tmpdir(), "maos-backends-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const BACKENDS: Backend[] = [
  {
    name: "SQLite",
    skip: false,
    fresh: async (t) => path.join(tempDir(t), "ledger.db"),
    open: async (where, o) =>
      Ledger.open({
        path: where,
        signer: o.signer ?? signer,
        clock: o.clock,
        environment: "test",
        origin: o.origin ?? ORIGIN,
      }),
    verify: async (where, verifierKey) => verifyLedger({ path: where, verifierKey }),
  },
  {
    name: "PostgreSQL",
    skip: pgSkip(),
    fresh: (t) => pgTestDatabase(t),
    open: (where, o) =>
      PgLedger.open({
        url: where,
        signer: o.signer ?? signer,
        clock: o.clock,
        environment: "test",
        origin: o.origin ?? ORIGIN,
      }),
    verify: async (where, verifierKey) => {
      const dir = mkdtempSync(path.join(tmpdir(), "maos-backends-export-"));
      try {
        const file = path.join(dir, "export.db");
        await exportLedgerToSqlite(await pgLedgerSnapshot(where), file);
        return verifyLedger({ path: file, verifierKey });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];

const step = (i: number, correlationId = "run-1") => ({
  eventType: "run.step",
  actor: "agent:writer",
  correlationId,
  payload: { i },
});

for (const b of BACKENDS) {
  describe(`the ledger on ${b.name}`, { skip: b.skip }, () => {
    /** Opens a fresh ledger that closes when the test ends. */
    const fresh = async (t: Hooks) => {
      const where = await b.fresh(t);
      const clock = new ManualClock("2026-11-21T15:00:00.000Z");
      const ledger = await b.open(where, { clock });
      t.after(() => ledger.close());
      return { ledger, where, clock, reopen: () => b.open(where, { clock }) };
    };

    test("genesis: seq 0 names the schema, the origin and the verifier key", async (t) => {
      const { ledger } = await fresh(t);
      assert.equal(ledger.size(), 1);
      const [g] = await ledger.tail(1);
      assert.equal(g?.seq, 0);
      assert.equal(g?.eventType, "GENESIS");
      assert.equal(g?.prevHash, ZERO_HASH);
      assert.deepEqual(g?.payload, {
        schemaVersion: LEDGER_SCHEMA_VERSION,
        origin: ORIGIN,
        publicKey: key.verifierKey,
        createdBy: "maos-codex",
      });
      assert.equal(ledger.head().hash, g?.entryHash);
    });

    test("entries chain, carry UTC and Chicago time, and verify with the public key alone", async (t) => {
      const { ledger, where, clock } = await fresh(t);
      const winter = await ledger.append({
        eventType: "run.started",
        level: "warn",
        actor: "U123",
        payload: { stack: "ops", inputs: { b: 2, a: "é" } },
        correlationId: "run-7",
        sealVersion: "v3",
      });
      assert.equal(winter.seq, 1);
      assert.deepEqual(winter.payload, { stack: "ops", inputs: { a: "é", b: 2 } });
      assert.equal(winter.timestampCt, "2026-11-21T09:00:00.000-06:00");
      clock.set("2026-07-04T17:30:00.250Z");
      const summer = await ledger.append(step(1));
      assert.equal(summer.timestampCt, "2026-07-04T12:30:00.250-05:00");
      assert.equal(summer.prevHash, winter.entryHash);
      const stored = await ledger.tail(2);
      assert.deepEqual(stored, [winter, summer], "read back exactly as written");
      const cp = await ledger.checkpoint();
      assert.deepEqual(await ledger.latestCheckpoint(), cp);
      const report = await b.verify(where, key.verifierKey);
      assert.deepEqual(report, {
        ok: true,
        size: 3,
        root: ledger.root(),
        head: ledger.head(),
        origin: ORIGIN,
        checkpointsChecked: 1,
        unattestedTail: 0,
      });
    });

    test("group commit: 200 concurrent appends get contiguous seqs in call order", async (t) => {
      const { ledger, where } = await fresh(t);
      const entries = await Promise.all(
        Array.from({ length: 200 }, (_, i) => ledger.append(step(i, `p-${i % 7}`))),
      );
      assert.deepEqual(
        entries.map((e) => e.seq),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        entries.map((e) => (e.payload as { i: number }).i),
        Array.from({ length: 200 }, (_, i) => i),
      );
      await ledger.checkpoint();
      assert.equal((await b.verify(where, key.verifierKey)).ok, true);
    });

    test("invalid appends reject at once and write nothing", async (t) => {
      const { ledger } = await fresh(t);
      await assert.rejects(ledger.append({ ...step(0), eventType: "" }), { code: "INTERNAL" });
      await assert.rejects(ledger.append({ ...step(0), payload: { n: Number.NaN } }));
      await assert.rejects(ledger.append({ ...step(0), level: "loud" as "info" }));
      assert.equal(ledger.size(), 1);
      assert.equal((await ledger.tail(5)).length, 1);
    });

    test("reopening continues the chain and the root; another key or origin is refused", async (t) => {
      const { ledger, where, clock, reopen } = await fresh(t);
      await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.append(step(i))));
      const root = ledger.root();
      await ledger.close();
      const again = await reopen();
      t.after(() => again.close());
      assert.equal(again.size(), 11);
      assert.equal(again.root(), root);
      const next = await again.append(step(10));
      assert.equal(next.seq, 11);
      const other = generateNoteKey("someone-else");
      await assert.rejects(
        Promise.resolve().then(() => b.open(where, { clock, signer: newNoteSigner(other.signerKey) })),
        /was created with key/,
      );
      await assert.rejects(
        Promise.resolve().then(() => b.open(where, { clock, origin: "maos-codex/ledger/elsewhere" })),
        /has origin "maos-codex\/ledger\/test"/,
      );
    });

    test("tail, byCorrelation and query filter and order as asked", async (t) => {
      const { ledger } = await fresh(t);
      await ledger.append(step(0, "run-a"));
      await ledger.append({ ...step(1, "run-b"), eventType: "run.completed" });
      await ledger.append(step(2, "run-a"));
      assert.deepEqual(
        (await ledger.byCorrelation("run-a")).map((e) => e.seq),
        [1, 3],
      );
      assert.deepEqual(
        (await ledger.query({ eventType: "run.step" })).map((e) => e.seq),
        [1, 3],
      );
      assert.deepEqual(
        (await ledger.query({ newestFirst: true, limit: 2 })).map((e) => e.seq),
        [3, 2],
      );
      assert.deepEqual(
        (await ledger.query({ afterSeq: 1 })).map((e) => e.seq),
        [2, 3],
      );
      assert.deepEqual(
        (await ledger.tail(2)).map((e) => e.seq),
        [2, 3],
      );
    });

    test("a consistency proof from an older size verifies against both roots", async (t) => {
      const { ledger } = await fresh(t);
      await Promise.all(Array.from({ length: 6 }, (_, i) => ledger.append(step(i))));
      const old = await ledger.checkpoint();
      await Promise.all(Array.from({ length: 9 }, (_, i) => ledger.append(step(i + 6))));
      const proof = await ledger.consistencyProof(old.size);
      assert.equal(
        verifyConsistency(
          old.size,
          ledger.size(),
          Buffer.from(old.root, "hex"),
          Buffer.from(ledger.root(), "hex"),
          proof.map((h) => Buffer.from(h, "hex")),
        ),
        true,
      );
    });

    test("a closed ledger refuses work; close writes queued appends first", async (t) => {
      const { ledger, reopen } = await fresh(t);
      const queued = ledger.append(step(0));
      await ledger.close();
      assert.equal((await queued).seq, 1);
      await assert.rejects(ledger.append(step(1)), /closed/);
      const again = await reopen();
      t.after(() => again.close());
      assert.equal(again.size(), 2);
    });

    test("random sequences of appends and checkpoints always verify", async (t) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.constant<"checkpoint">("checkpoint"), fc.integer({ min: 1, max: 12 })), {
            minLength: 1,
            maxLength: 6,
          }),
          async (plan) => {
            const { ledger, where } = await fresh(t);
            for (const op of plan) {
              if (op === "checkpoint") await ledger.checkpoint();
              else await Promise.all(Array.from({ length: op }, (_, i) => ledger.append(step(i))));
            }
            await ledger.checkpoint();
            const report = await b.verify(where, key.verifierKey);
            assert.equal(report.ok, true, JSON.stringify(report.firstBad));
            assert.equal(report.root, ledger.root());
          },
        ),
        { numRuns: 8, seed: 42 },
      );
    });
  });
}
