import { canonicalEntry, entryHash, type LedgerEntry } from "./ledgerEntry.ts";
import type { OutboxInsert, Prepared } from "./ledgerTypes.ts";
import type { MerkleFrontier } from "./MerkleFrontier.ts";

/** One row to insert: the hashed bytes, their hash, and the outbox rows it queued. */
export interface ChainedRow {
  seq: number;
  entryHash: string;
  canonical: string;
  timestampUtc: string;
  outbox: readonly OutboxInsert[];
}

/**
 * Chains a batch onto a ledger whose head is `head` and whose Merkle frontier is `frontier` (pushed to in
 * place: pass a clone when the write may roll back). Both storage backends write exactly these rows, so
 * the canonical bytes, the hash chain and the Merkle tree are the same whichever holds them.
 */
export function chainBatch(
  batch: readonly Prepared[],
  environment: string,
  frontier: MerkleFrontier,
  head: string,
): { rows: ChainedRow[]; entries: LedgerEntry[]; head: string } {
  const rows: ChainedRow[] = [];
  const entries: LedgerEntry[] = [];
  for (const p of batch) {
    const seq = frontier.size;
    const canonical = canonicalEntry(
      seq,
      p.id,
      p.timestampUtc,
      p.timestampCt,
      p.eventType,
      p.level,
      p.actorIdentity,
      p.payloadJson,
      p.correlationId,
      p.sealVersion,
      environment,
      head,
    );
    const h = entryHash(canonical);
    rows.push({ seq, entryHash: h, canonical, timestampUtc: p.timestampUtc, outbox: p.outbox });
    entries.push({
      seq,
      id: p.id,
      timestampUtc: p.timestampUtc,
      timestampCt: p.timestampCt,
      eventType: p.eventType,
      level: p.level,
      actorIdentity: p.actorIdentity,
      payload: JSON.parse(p.payloadJson),
      correlationId: p.correlationId,
      sealVersion: p.sealVersion,
      environment,
      prevHash: head,
      entryHash: h,
    });
    frontier.push(h);
    head = h;
  }
  return { rows, entries, head };
}
