import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import fc from "fast-check";
import { ManualClock } from "../../src/core/clock.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { LEVELS } from "../../src/ledger/ledgerEntry.ts";
import { verifyLedger } from "../../src/ledger/verifyLedger.ts";
import { patchFile, tamper, testSigner, testVerifierKey } from "./helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "maos-ledger-prop-"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(scratch, `l${counter++}.db`);
const open = (path: string) =>
  Ledger.open({
    path,
    signer: testSigner,
    clock: new ManualClock(),
    environment: "prop",
    origin: "maos-codex/ledger/prop",
  });

const appendArb = fc.record({
  eventType: fc.constantFrom("run.started", "run.step", "run.completed", "seal", "incident"),
  level: fc.constantFrom(...LEVELS),
  actor: fc.string({ minLength: 1, maxLength: 10, unit: "grapheme" }),
  payload: fc.jsonValue({ maxDepth: 2 }),
  correlationId: fc.string({ minLength: 1, maxLength: 8 }),
  sealVersion: fc.option(fc.constantFrom("v1", "v2", 'v"3'), { nil: null }),
});
const opArb = fc.oneof(
  { weight: 5, arbitrary: appendArb.map((a) => ({ kind: "sync" as const, a })) },
  { weight: 5, arbitrary: appendArb.map((a) => ({ kind: "async" as const, a })) },
  { weight: 1, arbitrary: fc.constant({ kind: "checkpoint" as const }) },
);

test("random sequences of appends and checkpoints always verify", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
      const path = freshPath();
      const ledger = open(path);
      const pending: Promise<unknown>[] = [];
      for (const op of ops) {
        if (op.kind === "sync") ledger.appendSync(op.a);
        else if (op.kind === "async") pending.push(ledger.append(op.a));
        else ledger.checkpoint();
      }
      await Promise.all(pending);
      ledger.checkpoint();
      const expected = { size: ledger.size(), root: ledger.root(), head: ledger.head() };
      ledger.close();
      const r = verifyLedger({ path, verifierKey: testVerifierKey });
      assert.equal(r.ok, true, JSON.stringify(r.firstBad));
      assert.deepEqual({ size: r.size, root: r.root, head: r.head }, expected);
      assert.equal(r.unattestedTail, 0);
    }),
    { numRuns: 25 },
  );
});

// One base ledger (BMP text only, so a one-unit change never splits a surrogate pair), copied per run.
const base = freshPath();
const BASE_SIZE = 30;
{
  const l = open(base);
  for (let i = 1; i < BASE_SIZE; i++) {
    l.appendSync({
      eventType: i % 3 === 0 ? "run.completed" : "run.step",
      level: LEVELS[i % LEVELS.length],
      actor: i % 4 === 0 ? "opérateur-中" : "agent:prime",
      payload: { i, text: `étape ${i}`, list: [i, null, true] },
      correlationId: `run-${i % 5}`,
      sealVersion: i % 7 === 0 ? "v2" : null,
    });
    if (l.size() === 15) l.checkpoint();
  }
  l.checkpoint();
  l.close();
}
const copyBase = () => {
  const p = freshPath();
  copyFileSync(base, p);
  return p;
};
test("base ledger verifies", () => {
  const r = verifyLedger({ path: base, verifierKey: testVerifierKey });
  assert.equal(r.ok, true);
  assert.equal(r.size, BASE_SIZE);
});

test("any one-character change in any stored column fails, at that row", () => {
  // Only seq, entry_hash and canonical are stored; every seed field is generated from canonical, so a
  // change to any of them is a change to canonical. Its bytes are edited in the file itself, which
  // stores even what SQL would refuse (text the generated columns cannot parse as JSON).
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: BASE_SIZE - 1 }),
      fc.constantFrom("canonical", "entry_hash", "seq"),
      fc.nat(),
      fc.integer({ min: 32, max: 126 }),
      (seq, column, pos, code) => {
        const path = copyBase();
        const change = (value: string, positions: number[]) => {
          const at = positions[pos % positions.length] as number;
          let ch = String.fromCharCode(code);
          if (ch === value[at]) ch = String.fromCharCode(code === 126 ? 32 : code + 1);
          return value.slice(0, at) + ch + value.slice(at + 1);
        };
        if (column === "canonical") {
          const db = new Database(path, { readonly: true });
          const value = db.prepare("SELECT canonical FROM ledger WHERE seq = ?").pluck().get(seq) as string;
          db.close();
          // ASCII positions only, so the edit keeps the byte length (the file is patched in place).
          const ascii = [...value].flatMap((c, i) => (c.charCodeAt(0) < 128 ? [i] : []));
          patchFile(path, value, change(value, ascii));
        } else {
          tamper(path, (db) => {
            if (column === "seq") {
              db.prepare("UPDATE ledger SET seq = seq + 1000 WHERE seq = ?").run(seq);
              return;
            }
            const value = db
              .prepare("SELECT entry_hash FROM ledger WHERE seq = ?")
              .pluck()
              .get(seq) as string;
            const next = change(
              value,
              Array.from(value, (_, i) => i),
            );
            db.prepare("UPDATE ledger SET entry_hash = ? WHERE seq = ?").run(next, seq);
          });
        }
        const r = verifyLedger({ path, verifierKey: testVerifierKey });
        assert.equal(r.ok, false, `${column} at seq ${seq}`);
        assert.equal(r.firstBad?.seq, seq, `${column} at seq ${seq}: ${r.firstBad?.reason}`);
      },
    ),
    { numRuns: 120 },
  );
});

test("any one-character change in a checkpoint's note, size or root fails", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2),
      fc.constantFrom("note", "size", "root"),
      fc.nat(),
      fc.integer({ min: 32, max: 126 }),
      (id, column, pos, code) => {
        const path = copyBase();
        tamper(path, (db) => {
          const value = String(db.prepare(`SELECT ${column} FROM checkpoints WHERE id = ?`).pluck().get(id));
          const at = pos % value.length;
          let ch = String.fromCharCode(code);
          if (ch === value[at]) ch = String.fromCharCode(code === 126 ? 32 : code + 1);
          const next = value.slice(0, at) + ch + value.slice(at + 1);
          db.prepare(`UPDATE checkpoints SET ${column} = ? WHERE id = ?`).run(
            column === "size" ? Number(next) || next : next,
            id,
          );
        });
        assert.equal(
          verifyLedger({ path, verifierKey: testVerifierKey }).ok,
          false,
          `${column} of checkpoint ${id}`,
        );
      },
    ),
    { numRuns: 60 },
  );
});

test("any truncation below the last checkpoint fails at the first missing seq", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: BASE_SIZE - 1 }), (keep) => {
      const path = copyBase();
      tamper(path, (db) => db.prepare("DELETE FROM ledger WHERE seq >= ?").run(keep));
      const r = verifyLedger({ path, verifierKey: testVerifierKey });
      assert.equal(r.ok, false);
      assert.equal(r.firstBad?.seq, keep);
    }),
    { numRuns: 20 },
  );
});

test("any swap of two rows fails at the first of them", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: BASE_SIZE - 1 }),
      fc.integer({ min: 0, max: BASE_SIZE - 1 }),
      (x, y) => {
        fc.pre(x !== y);
        const [i, j] = x < y ? [x, y] : [y, x];
        const path = copyBase();
        tamper(path, (db) => {
          db.exec(`
          UPDATE ledger SET seq = -1 WHERE seq = ${i};
          UPDATE ledger SET seq = ${i} WHERE seq = ${j};
          UPDATE ledger SET seq = ${j} WHERE seq = -1;
        `);
        });
        const r = verifyLedger({ path, verifierKey: testVerifierKey });
        assert.equal(r.ok, false);
        assert.equal(r.firstBad?.seq, i, r.firstBad?.reason);
      },
    ),
    { numRuns: 40 },
  );
});
