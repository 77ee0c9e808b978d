import { CodexError } from "../core/CodexError.ts";
import { entryHash } from "./ledgerEntry.ts";
import type { LedgerRowTuple } from "./ledgerSchema.ts";
import { chainFields } from "./verifyRange.ts";

/**
 * Of `rows` (consecutive, from another store that chained them), the ones a ledger of `size` entries
 * whose head is `head` lacks, each checked to continue the chain: its seq the next one, its prev_hash
 * the previous entry's hash, its entry_hash the SHA-256 of its canonical bytes. Rows the ledger already
 * holds must carry the hashes it holds (`hashAt`), or the two stores have forked.
 */
export function rowsToReplicate(
  rows: readonly LedgerRowTuple[],
  size: number,
  head: string,
  hashAt: (seq: number) => string | undefined,
  where: string,
): LedgerRowTuple[] {
  const fork = (seq: number, why: string) =>
    new CodexError(
      "LEDGER_BROKEN",
      `the ledger mirror ${where} disagrees with its source at seq ${seq}: ${why}`,
      {
        hint: "the source ledger was rewritten, or the mirror was: run `maos ledger verify` on both (export the source with `maos ledger export --sqlite FILE`) and keep the one that verifies",
      },
    );
  const out: LedgerRowTuple[] = [];
  let expected = size;
  let prev = head;
  for (const row of rows) {
    const [seq, hash, canonical] = row;
    if (seq < size) {
      if (hashAt(seq) !== hash) throw fork(seq, "a different entry is already there");
      continue;
    }
    if (seq !== expected) throw fork(seq, `expected seq ${expected} next (a gap)`);
    if (entryHash(canonical) !== hash) throw fork(seq, "entry_hash is not the hash of the canonical bytes");
    const fields = chainFields(canonical, seq);
    if (!fields || fields.seqText !== String(seq))
      throw fork(seq, "the canonical bytes do not name this seq");
    if (fields.prevHash !== prev) throw fork(seq, "prev_hash is not the previous entry's hash");
    out.push(row);
    prev = hash;
    expected++;
  }
  return out;
}
