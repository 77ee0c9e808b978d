import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";

/** A ledger database opened for reading only, and how. */
export interface ReadOnlyLedgerDb {
  db: Database.Database;
  /**
   * "file": opened in place, read-only (the database has a `-wal` file beside it, i.e. a live ledger);
   * "snapshot": the file's bytes were read into memory and opened there, so nothing on disk is touched.
   */
  mode: "file" | "snapshot";
}

/**
 * Opens a ledger file without creating, changing or deleting any file. SQLite opens a WAL-mode database
 * (the ledger's mode, which `sqlite3 .backup` copies into the header) by creating `-wal` and `-shm` files
 * beside it even when asked to open read-only, so a copy with no `-wal` beside it (an auditor's copy) is
 * read into memory instead, with its header marked as a rollback-journal file (bytes 18 and 19 = 1; the
 * pages are untouched). A file with a `-wal` beside it is a live ledger whose newest commits may sit in
 * that log: it is opened in place, read-only, so SQLite reads them (the files already exist).
 */
export function openLedgerReadOnly(path: string): ReadOnlyLedgerDb {
  if (existsSync(`${path}-wal`)) {
    return { db: new Database(path, { readonly: true, fileMustExist: true }), mode: "file" };
  }
  const bytes = readFileSync(path);
  if (bytes.length >= 20 && bytes.subarray(0, 16).toString("latin1") === "SQLite format 3\0") {
    if (bytes[18] === 2) bytes[18] = 1;
    if (bytes[19] === 2) bytes[19] = 1;
  }
  return { db: new Database(bytes, { readonly: true }), mode: "snapshot" };
}
