import type Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { consistencyProof, inclusionProof, rootFromLeafHashes } from "../ledger/merkle.ts";
import { openLedgerReadOnly } from "../ledger/openReadOnly.ts";

/**
 * RFC 6962 proofs over a ledger file, read-only. The JSON forms are documented in AUDITING.md
 * ("Proofs"): hashes are lowercase hex; sizes count entries from the genesis (seq 0) on.
 */

export interface InclusionProofJson {
  type: "inclusion";
  /** The entry's seq, which is its leaf index. */
  leafIndex: number;
  treeSize: number;
  /** entry_hash = SHA-256(0x00 || canonical): the RFC 6962 leaf hash. */
  leafHash: string;
  rootHash: string;
  /** Sibling hashes from the leaf up (RFC 6962 §2.1.1 audit path). */
  proof: string[];
  /** The signed checkpoint note at treeSize, when the ledger signed one at that size. */
  checkpoint: string | null;
}

export interface ConsistencyProofJson {
  type: "consistency";
  oldSize: number;
  newSize: number;
  oldRoot: string;
  newRoot: string;
  /** RFC 6962 §2.1.2 consistency proof. */
  proof: string[];
  oldCheckpoint: string | null;
  newCheckpoint: string | null;
}

export interface CheckpointJson {
  size: number;
  root: string;
  /** The signed note: origin, size, base64 root, a blank line, the signature line. */
  note: string;
  createdUtc: string;
}

function withDb<T>(path: string, f: (db: Database.Database) => T): T {
  const { db } = openLedgerReadOnly(path);
  try {
    return db.transaction(() => f(db))();
  } finally {
    db.close();
  }
}

function size(db: Database.Database): number {
  const max = db.prepare("SELECT max(seq) FROM ledger").pluck().get() as number | null;
  return max === null ? 0 : max + 1;
}

function leafHashes(db: Database.Database, n: number): Buffer[] {
  return (
    db.prepare("SELECT entry_hash FROM ledger WHERE seq < ? ORDER BY seq").pluck().all(n) as string[]
  ).map((h) => Buffer.from(h, "hex"));
}

function noteAt(db: Database.Database, n: number): string | null {
  return (
    (db.prepare("SELECT note FROM checkpoints WHERE size = ? ORDER BY id DESC LIMIT 1").pluck().get(n) as
      | string
      | undefined) ?? null
  );
}

/** `value` within min..max, or a usage error that states the ledger's real size (`held` entries). */
function sizeArg(name: string, value: number, max: number, held: number, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CodexError("USAGE", `${name} must be a whole number from ${min} to ${max}, got ${value}`, {
      hint: `the ledger holds ${held} entries (seq 0..${held - 1}); sizes count entries, seqs start at 0`,
    });
  }
}

export function inclusionFromDb(path: string, seq: number, treeSize?: number): InclusionProofJson {
  return withDb(path, (db) => {
    const n = size(db);
    const tree = treeSize ?? n;
    sizeArg("--size", tree, n, n, 1);
    sizeArg("SEQ", seq, tree - 1, n);
    const hashes = leafHashes(db, tree);
    return {
      type: "inclusion",
      leafIndex: seq,
      treeSize: tree,
      leafHash: (hashes[seq] as Buffer).toString("hex"),
      rootHash: rootFromLeafHashes(hashes).toString("hex"),
      proof: inclusionProof(seq, hashes).map((b) => b.toString("hex")),
      checkpoint: noteAt(db, tree),
    };
  });
}

export function consistencyFromDb(path: string, oldSize: number, newSize: number): ConsistencyProofJson {
  return withDb(path, (db) => {
    const n = size(db);
    sizeArg("NEW", newSize, n, n);
    sizeArg("OLD", oldSize, newSize, n);
    const hashes = leafHashes(db, newSize);
    return {
      type: "consistency",
      oldSize,
      newSize,
      oldRoot: rootFromLeafHashes(hashes.slice(0, oldSize)).toString("hex"),
      newRoot: rootFromLeafHashes(hashes).toString("hex"),
      proof: consistencyProof(oldSize, hashes).map((b) => b.toString("hex")),
      oldCheckpoint: noteAt(db, oldSize),
      newCheckpoint: noteAt(db, newSize),
    };
  });
}

/** The newest signed checkpoint (the highest id), or undefined when the ledger signed none yet. */
export function latestCheckpointFromDb(path: string): CheckpointJson | undefined {
  return withDb(path, (db) => {
    const row = db
      .prepare("SELECT size, root, note, created_utc AS createdUtc FROM checkpoints ORDER BY id DESC LIMIT 1")
      .get() as CheckpointJson | undefined;
    return row === undefined ? undefined : { ...row };
  });
}
