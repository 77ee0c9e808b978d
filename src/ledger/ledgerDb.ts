import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { assertGenesis } from "./genesis.ts";
import { assertEntryText } from "./ledgerEntry.ts";
import { LEDGER_SCHEMA_SQL, LEDGER_SCHEMA_VERSION, LEDGER_TABLE_SQL } from "./ledgerSchema.ts";
import { LEDGER_BUSY_TIMEOUT_MS, type LedgerOptions } from "./ledgerTypes.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";

/**
 * Opens (creating when missing) the ledger database of `opts` with its schema checked and created: a file
 * of another schema version is refused before anything is written to it.
 */
export function openLedgerDb(opts: LedgerOptions): Database.Database {
  assertEntryText("environment", opts.environment);
  assertEntryText("origin", opts.origin);
  if (opts.origin.includes("\n")) {
    throw new CodexError("CONFIG_INVALID", "the ledger origin must be a single line", {
      hint: "use an origin such as maos-codex/ledger/production",
    });
  }
  if (opts.path !== ":memory:") mkdirSync(dirname(opts.path), { recursive: true });
  let db: Database.Database | undefined;
  let version: string | undefined;
  try {
    db = new Database(opts.path);
    // Other processes (the bot, CLI commands) write the same file: wait for their short transactions.
    db.pragma(`busy_timeout = ${LEDGER_BUSY_TIMEOUT_MS}`);
    version = readSchemaVersion(db);
  } catch (cause) {
    db?.close();
    throw new CodexError("LEDGER_BROKEN", `cannot open the ledger database ${opts.path}`, {
      hint: "check that MAOS_HOME is writable and that the file is a SQLite database",
      cause,
    });
  }
  try {
    // Checked before anything is written (even the journal mode), so a file of another version stays as it was.
    assertSchemaVersion(version, opts.path);
    createSchema(db, opts.path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function readSchemaVersion(db: Database.Database): string | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  return hasMeta
    ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined)
    : undefined;
}

function assertSchemaVersion(version: string | undefined, path: string): void {
  if (version !== undefined && Number(version) !== LEDGER_SCHEMA_VERSION) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${path} has schema version ${version}; this build reads ${LEDGER_SCHEMA_VERSION}`,
      {
        hint: "a ledger is never rewritten in place: move ledger.db aside (verify it with the MAOS Codex version that wrote it) and let this build start a fresh one, or point MAOS_HOME at a fresh folder",
        details: { path, version, supported: LEDGER_SCHEMA_VERSION },
      },
    );
  }
}

/** Sets the journal, creates what is missing, and checks that the ledger table is this version's. */
function createSchema(db: Database.Database, path: string): void {
  try {
    db.pragma("journal_mode = WAL");
    // FULL: every commit is fsynced, so a resolved append survives power loss.
    db.pragma("synchronous = FULL");
    db.exec(LEDGER_SCHEMA_SQL);
  } catch (cause) {
    throw new CodexError("LEDGER_BROKEN", `cannot create the ledger tables in ${path}`, {
      hint: "check that MAOS_HOME is writable and that the file is a MAOS ledger",
      cause,
    });
  }
  const table = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger'")
    .pluck()
    .get();
  if (table !== LEDGER_TABLE_SQL) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${path}: the ledger table is not the schema ${LEDGER_SCHEMA_VERSION} layout`,
      {
        hint: "the file was made by another version or edited by hand; run `maos ledger verify`, or point MAOS_HOME at a fresh folder",
      },
    );
  }
}

/**
 * The Merkle frontier recomputed from every entry_hash (one pass), for a ledger of `size` entries: what
 * open does when the persisted frontier does not match the rows.
 */
export function rebuildFrontier(db: Database.Database, path: string, size: number): MerkleFrontier {
  const f = new MerkleFrontier();
  const rows = db
    .prepare("SELECT seq, entry_hash FROM ledger ORDER BY seq")
    .raw()
    .iterate() as IterableIterator<[number, string]>;
  for (const [seq, h] of rows) {
    if (seq !== f.size) {
      throw new CodexError(
        "LEDGER_BROKEN",
        `ledger ${path} has a gap: expected seq ${f.size}, found ${seq}`,
        {
          hint: "run `maos ledger verify` and restore the ledger from a backup",
        },
      );
    }
    if (!/^[0-9a-f]{64}$/.test(h)) {
      throw new CodexError("LEDGER_BROKEN", `ledger ${path}: entry_hash at seq ${seq} is not a hex hash`, {
        hint: "run `maos ledger verify` and restore the ledger from a backup",
      });
    }
    f.push(h);
  }
  if (f.size !== size) throw new CodexError("LEDGER_BROKEN", `ledger ${path} lost rows while opening`);
  return f;
}

/** The genesis at seq 0 names this key and origin (read from the hashed bytes, not the generated columns). */
export function checkGenesisRow(
  db: Database.Database,
  path: string,
  verifierKey: string,
  origin: string,
): void {
  assertGenesis(
    db.prepare("SELECT canonical FROM ledger WHERE seq = 0").pluck().get(),
    path,
    verifierKey,
    origin,
  );
}
