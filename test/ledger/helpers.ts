import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ManualClock } from "../../src/core/clock.ts";
import { Ledger } from "../../src/ledger/Ledger.ts";
import { canonicalEntry, entryHash } from "../../src/ledger/ledgerEntry.ts";
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

type Row = {
  seq: number;
  id: string;
  timestamp_utc: string;
  timestamp_ct: string;
  event_type: string;
  level: string;
  actor_identity: string;
  payload: string;
  correlation_id: string;
  seal_version: string | null;
  environment: string;
  prev_hash: string;
};

/** Recomputes canonical, prev_hash and entry_hash of every row from `fromSeq` on, with the ledger's own code. */
export function rehashFrom(db: Database.Database, fromSeq: number): void {
  const rows = db.prepare("SELECT * FROM ledger WHERE seq >= ? ORDER BY seq").all(fromSeq) as Row[];
  let prev =
    (db
      .prepare("SELECT entry_hash FROM ledger WHERE seq = ?")
      .pluck()
      .get(fromSeq - 1) as string | undefined) ?? "0".repeat(64);
  const update = db.prepare("UPDATE ledger SET prev_hash = ?, canonical = ?, entry_hash = ? WHERE seq = ?");
  for (const r of rows) {
    const canonical = canonicalEntry(
      r.seq,
      r.id,
      r.timestamp_utc,
      r.timestamp_ct,
      r.event_type,
      r.level,
      r.actor_identity,
      r.payload,
      r.correlation_id,
      r.seal_version,
      r.environment,
      prev,
    );
    const h = entryHash(canonical);
    update.run(prev, canonical, h, r.seq);
    prev = h;
  }
}
