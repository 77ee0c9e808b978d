import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import "./sqliteUri.ts";

/** A ledger database opened for reading only, and how. */
export interface ReadOnlyLedgerDb {
  db: Database.Database;
  /**
   * "file": opened in place, read-only (the database has a `-wal` file beside it, i.e. a live ledger);
   * "immutable": a file with no `-wal` beside it, opened in place as immutable (SQLite creates nothing);
   * "snapshot": the file's bytes were read into memory and opened there, so nothing on disk is touched.
   */
  mode: "file" | "immutable" | "snapshot";
  /** What another thread passes to openLedgerSource to read the same bytes; undefined for a snapshot. */
  source?: string;
}

/**
 * Opens a ledger file without creating, changing or deleting any file. SQLite opens a WAL-mode database
 * (the ledger's mode, which `sqlite3 .backup` copies into the header) by creating `-wal` and `-shm` files
 * beside it even when asked to open read-only, so a copy with no `-wal` beside it (an auditor's copy, or a
 * home whose bot is stopped) is opened as immutable (no locks, no -wal/-shm), or, should that not be
 * available, read into memory with its header marked as a rollback-journal file
 * (bytes 18 and 19 = 1; the pages are untouched). Reading 1M entries into memory cost seconds of page
 * faults. A file with a `-wal` beside it is a live ledger whose newest commits may sit in that log: it is
 * opened in place, read-only, so SQLite reads them (the files already exist).
 */
export function openLedgerReadOnly(path: string): ReadOnlyLedgerDb {
  if (existsSync(`${path}-wal`)) {
    return { db: openLedgerSource(path), mode: "file", source: path };
  }
  const source = immutableUri(path);
  const immutable = tryOpen(source);
  if (immutable) return { db: immutable, mode: "immutable", source };
  const bytes = readFileSync(path);
  if (bytes.length >= 20 && bytes.subarray(0, 16).toString("latin1") === "SQLite format 3\0") {
    if (bytes[18] === 2) bytes[18] = 1;
    if (bytes[19] === 2) bytes[19] = 1;
  }
  return { db: new Database(bytes, { readonly: true }), mode: "snapshot" };
}

/** Opens what openLedgerReadOnly's `source` names (a path or an immutable URI), read-only. */
export function openLedgerSource(source: string): Database.Database {
  return new Database(source, { readonly: true, fileMustExist: true });
}

/**
 * Lets SQLite map the file instead of copying every page through its cache: a full pass reads every
 * page once, and the copies cost about as much as the reads. Read-only connections only. Closing such a
 * connection unmaps every page the scan touched in one call, which holds the process's memory map (every
 * thread's page faults wait) for 30-70 ms at 1M entries: the bot's passes do not map (VerifyOptions.mapFile).
 */
export function mapForScan(db: Database.Database): void {
  try {
    db.pragma("mmap_size = 2147418112");
  } catch {
    // An in-memory snapshot or a build without mmap reads through the page cache instead.
  }
}

function immutableUri(path: string): string {
  // RFC 3986 escapes for the characters a SQLite URI path treats specially.
  const escaped = resolve(path).replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return `file:${escaped}?immutable=1`;
}

function tryOpen(source: string): Database.Database | undefined {
  let db: Database.Database | undefined;
  try {
    db = openLedgerSource(source);
    // With URIs off SQLite reads the name as a file called "file:…", which does not exist (and a file of
    // that odd name would hold no ledger table).
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ledger'").get() !== undefined) return db;
  } catch {
    // Not available: the caller reads a snapshot.
  }
  db?.close();
  return undefined;
}
