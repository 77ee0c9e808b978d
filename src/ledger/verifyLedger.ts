import { existsSync } from "node:fs";
import type Database from "better-sqlite3";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import { ZERO_HASH } from "./ledgerEntry.ts";
import { LEDGER_SCHEMA_VERSION, LEDGER_TABLE_SQL } from "./ledgerSchema.ts";
import { foldRootHex } from "./MerkleFrontier.ts";
import { mapForScan, openLedgerReadOnly } from "./openReadOnly.ts";
import { type NoteVerifier, newNoteVerifier, openNote, parseCheckpoint } from "./signedNote.ts";
import { combineFrontiers, runRanges } from "./verifyRanges.ts";

export interface VerifyOptions {
  path: string;
  /** The ledger's verifier key (`name+hex8+base64`), from ledger.vkey: the trust anchor. */
  verifierKey: string;
  /** Extra signed checkpoint notes, e.g. copies kept in the vault. */
  checkpoints?: string[];
  /** Worker threads besides the calling thread; default: one per extra core for ledgers of 64k+ entries. */
  workers?: number;
  /** Also parse and re-canonicalise every entry (slower; catches bytes the writer could not have made). */
  deep?: boolean;
  /**
   * Map the file into memory while scanning (default true): a cold pass reads it ~25 % faster. A process
   * that must keep answering while it verifies (the bot) passes false: closing a map of a large ledger
   * unmaps every page it touched at once, which stalled all the process's threads for 30-70 ms at 1M entries.
   */
  mapFile?: boolean;
  /**
   * With workers: whether the calling thread scans chunks too (default true). False leaves every chunk to
   * the workers, the calling thread only waiting: the tests' way to run the worker path on a small ledger.
   */
  scanHere?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  /** Entries read, genesis included. */
  size: number;
  /** Hex RFC 6962 root rebuilt from the rows. */
  root: string;
  head: { seq: number; hash: string };
  origin?: string;
  checkpointsChecked: number;
  /** Entries after the largest checkpoint that verified (a signature covers nothing after it). */
  unattestedTail: number;
  firstBad?: { seq: number; reason: string };
}

/** One signed checkpoint as read and checked (signature, origin, columns), before its root is compared. */
export interface CheckpointClaim {
  source: string;
  /** The signed note text. */
  note: string;
  /** Its row id, for a checkpoint from the ledger's table. */
  tableId?: number;
  /** Verified body, when signature and format are fine. */
  size?: number;
  root?: string;
  /** Size read from the body without trusting it, to place a failure. */
  claimedSize?: number;
  problem?: string;
}

/**
 * Re-derives everything from the rows, opening the database read-only: every entry hash from the stored
 * canonical bytes, the prev_hash chain and each row's seq as written in those bytes, seq contiguity, the
 * genesis (naming this key), the Merkle root, and every signed checkpoint (the table's and `checkpoints`)
 * against the root rebuilt at its size; and that the ledger table's definition is this build's, since the
 * seed's columns are generated from the canonical bytes. Catches edits, re-hashed chains (which cannot
 * re-sign checkpoints), truncation and reorders.
 */
export function verifyLedger(opts: VerifyOptions): VerifyReport {
  return verifyLedgerDetailed(opts).report;
}

/** What a full verification saw besides its report: the state an incremental verifier continues from. */
export interface VerifyDetail {
  report: VerifyReport;
  /** The RFC 6962 frontier nodes (hex, largest subtree first) at `report.size`, when the rows had no gap. */
  frontier?: string[];
  /** Every checkpoint read (the table's in id order, then `checkpoints`), with what its check found. */
  claims: CheckpointClaim[];
}

/** verifyLedger, also returning the Merkle frontier and checkpoints it verified (see LedgerWatch). */
export function verifyLedgerDetailed(opts: VerifyOptions): VerifyDetail {
  const verifier = newNoteVerifier(opts.verifierKey);
  if (!existsSync(opts.path)) {
    throw new CodexError("NOT_FOUND", `no ledger at ${opts.path}`, {
      hint: "set MAOS_HOME to the folder holding ledger.db",
    });
  }
  let db: Database.Database | undefined;
  try {
    const opened = openLedgerReadOnly(opts.path);
    db = opened.db;
    const open = db;
    if (opts.mapFile !== false) mapForScan(open);
    // Worker threads open the same source; a snapshot held in memory is scanned on this thread.
    const source = opened.source;
    const run = source === undefined ? { ...opts, workers: 0 } : opts;
    // One read transaction: the size, the genesis and the checkpoints are read from the same snapshot,
    // so a checkpoint the writer signs meanwhile cannot look like one beyond the rows (a false truncation).
    return open.transaction(() => verifyOpen(open, run, verifier, source ?? opts.path))();
  } catch (err) {
    if (isCodexError(err)) throw err;
    throw new CodexError("LEDGER_BROKEN", `cannot read ${opts.path} as a MAOS ledger`, {
      hint: "check that MAOS_HOME points at the folder holding ledger.db and that the file is a SQLite database",
      cause: err,
    });
  } finally {
    db?.close();
  }
}

function verifyOpen(
  db: Database.Database,
  opts: VerifyOptions,
  verifier: NoteVerifier,
  source: string,
): VerifyDetail {
  const rowFailures: { seq: number; reason: string }[] = [];
  const schemaProblem = checkSchema(db, opts.path);
  if (schemaProblem) rowFailures.push({ seq: 0, reason: schemaProblem });
  const maxSeq = db.prepare("SELECT max(seq) FROM ledger").pluck().get() as number | null;
  const expected = maxSeq === null ? 0 : maxSeq + 1;

  const genesis = checkGenesis(db, verifier.verifierKey);
  if (genesis.problem) rowFailures.push({ seq: 0, reason: genesis.problem });

  const claims = readCheckpoints(db, opts.checkpoints ?? [], verifier, genesis.origin);
  const sizes = [
    ...new Set([
      ...claims.flatMap((c) => (c.size !== undefined && c.size <= expected ? [c.size] : [])),
      expected,
    ]),
  ].sort((a, b) => a - b);

  const ranges = runRanges(opts, source, sizes, expected, db);
  const size = ranges.reduce((n, r) => n + r.count, 0);
  for (const r of ranges) if (r.firstBad) rowFailures.push(r.firstBad);
  // Links across range boundaries and to the genesis.
  let prevHash: string | null = null;
  for (const r of ranges) {
    if (r.firstSeq === null) continue;
    const want = prevHash ?? ZERO_HASH;
    if (r.firstPrevHash !== want)
      rowFailures.push({ seq: r.firstSeq, reason: "chain broken: prev_hash mismatch" });
    prevHash = r.lastEntryHash;
  }

  const frontiers = combineFrontiers(ranges, sizes);
  const roots = new Map([...frontiers].map(([s, nodes]) => [s, foldRootHex(nodes)]));
  const root = roots.get(expected) ?? foldRootHex([]);
  let headSeq = -1;
  let headHash = ZERO_HASH;
  for (const r of ranges) {
    if (r.lastSeq !== null) {
      headSeq = r.lastSeq;
      headHash = r.lastEntryHash ?? ZERO_HASH;
    }
  }

  // Checkpoints: each against the root rebuilt at its size.
  const cpFailures: { seq: number; reason: string; claimed: number }[] = [];
  const goodSizes: number[] = [];
  let previous: CheckpointClaim | undefined;
  for (const c of claims) {
    if (c.problem !== undefined) {
      cpFailures.push({ seq: -1, reason: c.problem, claimed: c.claimedSize ?? size });
      continue;
    }
    const s = c.size as number;
    if (s > size) {
      cpFailures.push({
        seq: size,
        reason: `truncated: checkpoint at size ${s} but ledger has ${size} entries (${c.source})`,
        claimed: s,
      });
      continue;
    }
    const rebuilt = roots.get(s);
    if (rebuilt !== c.root) {
      cpFailures.push({
        seq: -1,
        reason: `checkpoint root mismatch at size ${s} (re-hashed chain?)`,
        claimed: s,
      });
      continue;
    }
    if (c.source.startsWith("table") && previous?.size !== undefined && s < previous.size) {
      cpFailures.push({
        seq: -1,
        reason: `checkpoint order: size ${s} recorded after size ${previous.size} (${c.source})`,
        claimed: s,
      });
      continue;
    }
    if (c.source.startsWith("table")) previous = c;
    goodSizes.push(s);
  }
  cpFailures.push(...deletedCheckpoints(db, claims));
  // A failing checkpoint disowns the entries after the last good checkpoint below it.
  const attestedBelow = (s: number) => goodSizes.filter((g) => g < s).reduce((a, b) => Math.max(a, b), 0);
  for (const f of cpFailures) {
    if (f.seq < 0) {
      const from = attestedBelow(f.claimed);
      f.seq = from;
      if (f.reason.startsWith("checkpoint root mismatch")) {
        f.reason += `: an entry in seq ${from}..${f.claimed - 1} differs from what was signed`;
      }
    }
  }

  rowFailures.sort((a, b) => a.seq - b.seq);
  const firstCp = [...cpFailures].sort((a, b) => a.seq - b.seq)[0];
  const firstBad = rowFailures[0] ?? (firstCp ? { seq: firstCp.seq, reason: firstCp.reason } : undefined);
  const largestGood = goodSizes.reduce((a, b) => Math.max(a, b), 0);
  const report: VerifyReport = {
    ok: firstBad === undefined,
    size,
    root,
    head: { seq: headSeq, hash: headHash },
    checkpointsChecked: claims.length,
    unattestedTail: Math.max(0, size - largestGood),
  };
  if (genesis.origin !== undefined) report.origin = genesis.origin;
  if (firstBad) report.firstBad = firstBad;
  const detail: VerifyDetail = { report, claims };
  const frontier = frontiers.get(expected);
  if (frontier && size === expected) detail.frontier = frontier;
  return detail;
}

/**
 * Checkpoint rows are append-only with ids 1, 2, 3, …, so a missing id is a deleted row; and every entry
 * that names a checkpoint it was written with (RUN_SEALED's `checkpointSize`, LEDGER_CHECKPOINT's `size`)
 * must still find a signed row of that size. Deleting the newest rows leaves neither trace: the copies
 * kept outside ledger.db (the vault, state.db, evidence sinks) are what catch that.
 */
export function deletedCheckpoints(
  db: Database.Database,
  claims: readonly CheckpointClaim[],
): { seq: number; reason: string; claimed: number }[] {
  const out: { seq: number; reason: string; claimed: number }[] = [];
  const rows = claims.filter((c) => c.tableId !== undefined);
  let expectId = 1;
  let lastSize = 0;
  for (const c of rows) {
    if (c.tableId !== expectId) {
      out.push({
        seq: -1,
        reason: `checkpoint rows deleted: checkpoints id ${expectId}${(c.tableId as number) - 1 > expectId ? `..${(c.tableId as number) - 1}` : ""} missing (ids run 1, 2, 3, …)`,
        claimed: lastSize + 1,
      });
    }
    expectId = (c.tableId as number) + 1;
    if (c.size !== undefined) lastSize = c.size;
  }
  const signed = new Set(rows.flatMap((c) => (c.size !== undefined ? [c.size] : [])));
  const named = db
    .prepare(
      `SELECT seq, CASE json_extract(canonical, '$.event_type') WHEN 'RUN_SEALED' THEN json_extract(canonical, '$.payload.checkpointSize') ELSE json_extract(canonical, '$.payload.size') END
       FROM ledger WHERE (event_type || '') IN ('RUN_SEALED', 'LEDGER_CHECKPOINT') ORDER BY seq`,
    )
    .raw()
    .all() as [number, unknown][];
  for (const [seq, size] of named) {
    if (typeof size === "number" && !signed.has(size)) {
      out.push({
        seq,
        reason: `checkpoint rows deleted: the entry at seq ${seq} names the signed checkpoint at size ${size}, which the checkpoints table no longer holds`,
        claimed: size,
      });
      break;
    }
  }
  return out;
}

/** Reads the genesis from its hashed bytes (the scan proves they are the ones in the chain). */
export function checkGenesis(
  db: Database.Database,
  verifierKey: string,
): { origin?: string; problem?: string } {
  const canonical = db.prepare("SELECT canonical FROM ledger WHERE seq = 0").pluck().get();
  if (canonical === undefined) return { problem: "genesis missing: no entry at seq 0" };
  let g: { event_type?: unknown; payload?: unknown };
  try {
    g = JSON.parse(String(canonical));
  } catch {
    return { problem: "genesis: canonical bytes are not JSON" };
  }
  const p = (typeof g?.payload === "object" && g.payload !== null ? g.payload : {}) as Record<
    string,
    unknown
  >;
  const origin = typeof p.origin === "string" ? p.origin : undefined;
  const result: { origin?: string; problem?: string } = {};
  if (origin !== undefined) result.origin = origin;
  if (g?.event_type !== "GENESIS")
    result.problem = `genesis: seq 0 is ${JSON.stringify(g?.event_type)}, not GENESIS`;
  else if (p.publicKey !== verifierKey)
    result.problem = "genesis: names a different public key than the verifier key";
  else if (
    origin === undefined ||
    p.createdBy !== "maos-codex" ||
    p.schemaVersion !== LEDGER_SCHEMA_VERSION
  ) {
    result.problem = "genesis: payload lacks origin, createdBy or the schema version";
  }
  return result;
}

/**
 * The file must be this version's, and its ledger table exactly this build's: the generated columns are
 * only trustworthy if their expressions are the ones that read `canonical` (sqlite_master can be rewritten).
 */
export function checkSchema(db: Database.Database, path: string): string | undefined {
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as
    | string
    | undefined;
  if (version !== undefined && Number(version) !== LEDGER_SCHEMA_VERSION) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${path} has schema version ${version}; this build verifies ${LEDGER_SCHEMA_VERSION}`,
      {
        hint: "verify it with the MAOS Codex version that wrote it",
        details: { path, version, supported: LEDGER_SCHEMA_VERSION },
      },
    );
  }
  const table = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger'")
    .pluck()
    .get();
  if (table !== LEDGER_TABLE_SQL) {
    return "schema edited: the ledger table's definition is not this build's, so its columns may not show the hashed bytes";
  }
  return undefined;
}

function readCheckpoints(
  db: Database.Database,
  extra: readonly string[],
  verifier: NoteVerifier,
  origin: string | undefined,
): CheckpointClaim[] {
  const rows = db.prepare("SELECT id, size, root, note FROM checkpoints ORDER BY id").raw().all() as [
    number,
    number,
    string,
    string,
  ][];
  const claims: CheckpointClaim[] = [];
  for (const [id, size, root, note] of rows) {
    claims.push(checkCheckpointNote(note, `table id ${id}`, verifier, origin, { id, size, root }));
  }
  extra.forEach((note, i) => {
    claims.push(checkCheckpointNote(note, `extra #${i + 1}`, verifier, origin));
  });
  return claims;
}

/**
 * Opens one checkpoint note: signed by the ledger key, well formed, naming the ledger's origin and, for a
 * table row, agreeing with its size/root columns. The root is compared by the caller, which knows the rows.
 */
export function checkCheckpointNote(
  note: string,
  source: string,
  verifier: NoteVerifier,
  origin: string | undefined,
  row?: { id: number; size: number; root: string },
): CheckpointClaim {
  const claim: CheckpointClaim = { source, note };
  if (row) claim.tableId = row.id;
  try {
    claim.claimedSize = parseCheckpoint(note.slice(0, note.lastIndexOf("\n\n") + 1)).size;
  } catch {
    // The problem is reported below by openNote/parseCheckpoint.
  }
  try {
    const body = parseCheckpoint(openNote(note, [verifier]).text);
    const rootHex = body.root.toString("hex");
    if (origin !== undefined && body.origin !== origin) {
      claim.problem = `checkpoint origin ${JSON.stringify(body.origin)} is not the ledger's ${JSON.stringify(origin)} (${source})`;
    } else if (row && (row.size !== body.size || row.root !== rootHex)) {
      claim.problem = `checkpoint row edited: its size/root columns differ from its signed note (${source})`;
    } else {
      claim.size = body.size;
      claim.root = rootHex;
    }
  } catch (err) {
    const kind = isCodexError(err) ? (err.details as { kind?: string } | undefined)?.kind : undefined;
    claim.problem =
      kind === "bad-signature"
        ? `bad signature on checkpoint (${source})`
        : kind === "unknown-key"
          ? `checkpoint not signed by the ledger key (${source})`
          : `malformed checkpoint (${source}): ${err instanceof Error ? err.message : String(err)}`;
  }
  return claim;
}
