import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ManualClock } from "../../src/core/clock.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { entryHash } from "../../src/ledger/ledgerEntry.ts";
import { generateNoteKey, type NoteSigner, newNoteSigner } from "../../src/ledger/signedNote.ts";

/** One generated key for the whole test process (Ed25519 keygen is cheap, but a fixed key keeps runs alike). */
const key = generateNoteKey("maos-codex-test");
export const testSigner: NoteSigner = newNoteSigner(key.signerKey);
export const testVerifierKey = key.verifierKey;

export interface TestLedger {
  ledger: Ledger;
  path: string;
  dir: string;
  clock: ManualClock;
  reopen: () => Ledger;
}

export function openTestLedger(t: { after: (f: () => void) => void }, name = "ledger.db"): TestLedger {
  const dir = mkdtempSync(join(tmpdir(), "maos-ledger-"));
  const path = join(dir, name);
  const clock = new ManualClock("2026-11-21T15:00:00.000Z");
  const open = () =>
    Ledger.open({ path, signer: testSigner, clock, environment: "test", origin: "maos-codex/ledger/test" });
  const result: TestLedger = { ledger: open(), path, dir, clock, reopen: open };
  t.after(() => {
    result.ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return result;
}

export function fill(ledger: Ledger, n: number, correlationId = "run-1"): void {
  for (let i = 0; i < n; i++) {
    ledger.appendSync({
      eventType: "run.step",
      actor: "agent:prime",
      correlationId,
      payload: { step: i, note: `step ${i}` },
    });
  }
}

/** A writable handle with the append-only triggers dropped: what an attacker with file access has. */
export function tamper(path: string, f: (db: Database.Database) => void): void {
  const db = new Database(path);
  db.exec("DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete;");
  db.exec("DROP TRIGGER IF EXISTS checkpoints_no_update; DROP TRIGGER IF EXISTS checkpoints_no_delete;");
  try {
    f(db);
  } finally {
    db.close();
  }
}

/**
 * Rewrites prev_hash inside the canonical bytes and recomputes entry_hash for every row from `fromSeq` on,
 * keeping all other bytes as they are: what an attacker who edited a row does to make the chain whole again.
 * prev_hash is the LAST top-level `,"prev_hash":"` (the payload comes before it in RFC 8785 order).
 */
export function rehashFrom(db: Database.Database, fromSeq: number): void {
  const rows = db
    .prepare("SELECT seq, canonical FROM ledger WHERE seq >= ? ORDER BY seq")
    .raw()
    .all(fromSeq) as [number, string][];
  let prev =
    (db
      .prepare("SELECT entry_hash FROM ledger WHERE seq = ?")
      .pluck()
      .get(fromSeq - 1) as string | undefined) ?? "0".repeat(64);
  const update = db.prepare("UPDATE ledger SET canonical = ?, entry_hash = ? WHERE seq = ?");
  for (const [seq, old] of rows) {
    const at = old.lastIndexOf(',"prev_hash":"') + ',"prev_hash":"'.length;
    const canonical = old.slice(0, at) + prev + old.slice(at + 64);
    const h = entryHash(canonical);
    update.run(canonical, h, seq);
    prev = h;
  }
}

/** Replaces text inside the canonical bytes of one row, through SQL (the generated columns follow). */
export function editCanonical(db: Database.Database, seq: number, from: string, to: string): void {
  const changed = db
    .prepare(
      "UPDATE ledger SET canonical = replace(canonical, ?, ?) WHERE seq = ? AND instr(canonical, ?) > 0",
    )
    .run(from, to, seq, from).changes;
  if (changed !== 1) throw new Error(`seq ${seq} holds no ${JSON.stringify(from)}`);
}

/**
 * Overwrites bytes of the closed database file in place, as a hex editor would (SQLite keeps no checksum
 * of a page): the way to store bytes that SQL refuses, e.g. a canonical text the generated columns cannot
 * parse, or a schema that sqlite_master may not be edited to. Every occurrence of `find` is replaced, since
 * SQLite leaves stale copies of moved cells in the free space of pages; `replace` must have the same UTF-8
 * length.
 */
export function patchFile(path: string, find: string, replace: string): void {
  const file = readFileSync(path);
  const from = Buffer.from(find);
  const to = Buffer.from(replace);
  if (from.length !== to.length) throw new Error("patchFile keeps the length: the replacement differs");
  let found = 0;
  for (let at = file.indexOf(from); at >= 0; at = file.indexOf(from, at + from.length)) {
    to.copy(file, at);
    found++;
  }
  if (found === 0) throw new Error(`${JSON.stringify(find)} is not in the file`);
  writeFileSync(path, file);
}
