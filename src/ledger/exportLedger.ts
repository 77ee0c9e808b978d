import { existsSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { LEDGER_SCHEMA_SQL, LEDGER_SCHEMA_VERSION, type LedgerRowTuple } from "./ledgerSchema.ts";
import type { StoredCheckpoint } from "./ledgerTypes.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import { openLedgerReadOnly } from "./openReadOnly.ts";

export type { StoredCheckpoint } from "./ledgerTypes.ts";

/** One consistent snapshot of a ledger, read in pages (either backend provides one). */
export interface LedgerSnapshot {
  /** Up to `limit` rows with seq > `after`, in seq order. */
  rows(after: number, limit: number): Promise<LedgerRowTuple[]>;
  checkpoints(): Promise<StoredCheckpoint[]>;
  close(): Promise<void>;
}

export interface ExportReport {
  file: string;
  entries: number;
  checkpoints: number;
  /** RFC 6962 root (hex) over the exported entries. */
  root: string;
}

const PAGE = 10_000;

/**
 * Writes a snapshot to a new SQLite ledger file of this build's schema: the same rows (seq, entry_hash
 * and the canonical bytes), the signed checkpoints and the Merkle frontier, so `maos ledger verify --key`
 * and the auditor's standard-tools kit check it as they check a home's ledger.db. Written beside the
 * target and renamed into place when complete; an existing file is never overwritten.
 */
export async function exportLedgerToSqlite(snapshot: LedgerSnapshot, file: string): Promise<ExportReport> {
  const target = path.resolve(file);
  if (existsSync(target)) {
    throw new CodexError("USAGE", `${target} already exists`, {
      hint: "export to a new file name; an export never overwrites a file",
    });
  }
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  let db: Database.Database | undefined;
  try {
    db = new Database(partial);
    db.exec(LEDGER_SCHEMA_SQL);
    const insert = db.prepare("INSERT INTO ledger (seq, entry_hash, canonical) VALUES (?, ?, ?)");
    const frontier = new MerkleFrontier();
    let after = -1;
    for (;;) {
      const page = await snapshot.rows(after, PAGE);
      if (page.length === 0) break;
      db.transaction(() => {
        for (const [seq, h, canonical] of page) {
          insert.run(seq, h, canonical);
          frontier.push(h);
        }
      })();
      after = (page[page.length - 1] as LedgerRowTuple)[0];
    }
    const checkpoints = await snapshot.checkpoints();
    const insertCheckpoint = db.prepare(
      "INSERT INTO checkpoints (size, root, note, created_utc) VALUES (?, ?, ?, ?)",
    );
    const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    db.transaction(() => {
      for (const c of checkpoints) insertCheckpoint.run(c.size, c.root, c.note, c.createdUtc);
      setMeta.run("schema_version", String(LEDGER_SCHEMA_VERSION));
      setMeta.run("merkle_frontier", JSON.stringify(frontier.serialize()));
    })();
    db.close();
    db = undefined;
    renameSync(partial, target);
    return {
      file: target,
      entries: frontier.size,
      checkpoints: checkpoints.length,
      root: frontier.rootHex(),
    };
  } catch (err) {
    db?.close();
    rmSync(partial, { force: true });
    throw err;
  } finally {
    await snapshot.close();
  }
}

/** A SQLite ledger file's snapshot: one read transaction, so a bot appending meanwhile changes nothing. */
export function sqliteLedgerSnapshot(ledgerPath: string): LedgerSnapshot {
  if (!existsSync(ledgerPath)) {
    throw new CodexError("NOT_FOUND", `no ledger at ${ledgerPath}`, {
      hint: "run a stack first, or point MAOS_HOME at the home whose ledger you want",
    });
  }
  const { db } = openLedgerReadOnly(ledgerPath);
  db.prepare("BEGIN").run();
  const page = db
    .prepare("SELECT seq, entry_hash, canonical FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?")
    .raw();
  return {
    rows: async (after, limit) => page.all(after, limit) as LedgerRowTuple[],
    checkpoints: async () =>
      (
        db.prepare("SELECT size, root, note, created_utc FROM checkpoints ORDER BY id").all() as {
          size: number;
          root: string;
          note: string;
          created_utc: string;
        }[]
      ).map((c) => ({ size: c.size, root: c.root, note: c.note, createdUtc: c.created_utc })),
    close: async () => {
      db.close();
    },
  };
}
