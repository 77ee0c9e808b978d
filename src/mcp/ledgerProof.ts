import Database from "better-sqlite3";
import type { App } from "../app/App.ts";
import { CodexError } from "../core/CodexError.ts";
import { largestPowerOfTwoBelow, rootFromLeafHashes } from "../ledger/merkle.ts";

export interface ProofArgs {
  kind: "inclusion" | "consistency";
  seq?: number;
  size?: number;
  oldSize?: number;
}

export interface LedgerProof {
  kind: "inclusion" | "consistency";
  /** The tree size the proof is for (the current size for consistency). */
  size: number;
  /** Hex RFC 6962 root of that tree. */
  root: string;
  seq?: number;
  leaf?: string;
  oldSize?: number;
  proof: string[];
}

/** RFC 6962 §2.1.1 audit path for leaf `m` among `hashes`. */
function auditPath(m: number, hashes: readonly Buffer[]): Buffer[] {
  if (hashes.length <= 1) return [];
  const k = largestPowerOfTwoBelow(hashes.length);
  return m < k
    ? [...auditPath(m, hashes.slice(0, k)), rootFromLeafHashes(hashes.slice(k))]
    : [...auditPath(m - k, hashes.slice(k)), rootFromLeafHashes(hashes.slice(0, k))];
}

/**
 * RFC 6962 proofs over the ledger's Merkle tree, whose leaves are the entries' hashes by seq: an
 * inclusion proof for one entry, or a consistency proof from an older checkpoint's size to now.
 */
export function ledgerProof(app: Pick<App, "ledger" | "ledgerPath">, args: ProofArgs): LedgerProof {
  const ledger = app.ledger();
  const current = ledger.size();
  if (args.kind === "consistency") {
    const old = args.oldSize;
    if (old === undefined || old < 1 || old > current) {
      throw new CodexError("USAGE", `oldSize must be a tree size from 1 to ${current}`);
    }
    return {
      kind: "consistency",
      size: current,
      root: ledger.root(),
      oldSize: old,
      proof: ledger.consistencyProof(old),
    };
  }
  const size = args.size ?? current;
  const seq = args.seq;
  if (size < 1 || size > current) throw new CodexError("USAGE", `size must be from 1 to ${current}`);
  if (seq === undefined || seq < 0 || seq >= size) {
    throw new CodexError("USAGE", `seq must name an entry in the tree of ${size} entries (0 to ${size - 1})`);
  }
  const db = new Database(app.ledgerPath(), { readonly: true, fileMustExist: true });
  try {
    const hashes = (
      db.prepare("SELECT entry_hash FROM ledger WHERE seq < ? ORDER BY seq").pluck().all(size) as string[]
    ).map((h) => Buffer.from(h, "hex"));
    return {
      kind: "inclusion",
      size,
      root: rootFromLeafHashes(hashes).toString("hex"),
      seq,
      leaf: (hashes[seq] as Buffer).toString("hex"),
      proof: auditPath(seq, hashes).map((b) => b.toString("hex")),
    };
  } finally {
    db.close();
  }
}
