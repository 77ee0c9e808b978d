import type pg from "pg";
import { entryFromCanonical, type LedgerEntry } from "../ledgerEntry.ts";
import type { LedgerRowTuple } from "../ledgerSchema.ts";
import type { Checkpoint, LedgerQuery, StoredCheckpoint } from "../ledgerTypes.ts";
import { consistencyProof } from "../merkle.ts";

// The PostgreSQL ledger's reads, on its pool of reader connections (PgLedger's query methods call these).

async function entries(db: pg.Pool, sql: string, params: unknown[]): Promise<LedgerEntry[]> {
  const r = await db.query<{ canonical: string; entry_hash: string }>(sql, params);
  return r.rows.map((row) => entryFromCanonical(row.canonical, row.entry_hash));
}

/** The last n entries, oldest first. */
export async function tailEntries(db: pg.Pool, n: number): Promise<LedgerEntry[]> {
  const out = await entries(db, "SELECT canonical, entry_hash FROM ledger ORDER BY seq DESC LIMIT $1", [
    Math.max(0, Math.floor(n)),
  ]);
  return out.reverse();
}

/** Every entry of one correlation thread, oldest first. */
export function correlationEntries(db: pg.Pool, id: string): Promise<LedgerEntry[]> {
  return entries(db, "SELECT canonical, entry_hash FROM ledger WHERE correlation_id = $1 ORDER BY seq", [id]);
}

/** Entries filtered by event type, oldest first unless `newestFirst`; `limit` caps the count. */
export function queryEntries(db: pg.Pool, filters: LedgerQuery): Promise<LedgerEntry[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filters.afterSeq !== undefined) {
    params.push(Math.floor(filters.afterSeq));
    conditions.push(`seq > $${params.length}`);
  }
  if (filters.eventType !== undefined) {
    params.push(filters.eventType);
    conditions.push(`event_type = $${params.length}`);
  }
  let limit = "";
  if (filters.limit !== undefined) {
    params.push(Math.max(0, Math.floor(filters.limit)));
    limit = `LIMIT $${params.length}`;
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return entries(
    db,
    `SELECT canonical, entry_hash FROM ledger ${where} ORDER BY seq ${filters.newestFirst ? "DESC" : "ASC"} ${limit}`,
    params,
  );
}

export async function latestCheckpoint(db: pg.Pool): Promise<Checkpoint | undefined> {
  const r = await db.query<{ size: string; root: string; note: string }>(
    "SELECT size::text, root, note FROM ledger_checkpoints ORDER BY id DESC LIMIT 1",
  );
  const row = r.rows[0];
  return row ? { size: Number(row.size), root: row.root, note: row.note } : undefined;
}

/** RFC 6962 consistency proof (hex) from the first `oldSize` entries to the first `size`. O(size). */
export async function consistencyProofHex(db: pg.Pool, oldSize: number, size: number): Promise<string[]> {
  const r = await db.query<{ entry_hash: string }>(
    "SELECT entry_hash FROM ledger WHERE seq < $1 ORDER BY seq",
    [size],
  );
  return consistencyProof(
    oldSize,
    r.rows.map((row) => Buffer.from(row.entry_hash, "hex")),
  ).map((b) => b.toString("hex"));
}

/** A pool, or one client inside a transaction (an export's snapshot). */
type Queryable = Pick<pg.Pool, "query"> | Pick<pg.ClientBase, "query">;

/** Up to `limit` stored rows with seq > `after`, in seq order: what an export and a mirror copy. */
export async function rowsAfter(db: Queryable, after: number, limit: number): Promise<LedgerRowTuple[]> {
  const r = await (db as pg.Pool).query({
    text: "SELECT seq::int8, entry_hash, canonical FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2",
    values: [after, limit],
    rowMode: "array",
  });
  return (r.rows as [string, string, string][]).map(([seq, h, c]) => [Number(seq), h, c] as LedgerRowTuple);
}

/** The signed checkpoints with an id above `afterId`, oldest first, with their ids. */
export async function checkpointsAfter(
  db: Queryable,
  afterId: number,
): Promise<(StoredCheckpoint & { id: number })[]> {
  const r = await (db as pg.Pool).query<{
    id: string;
    size: string;
    root: string;
    note: string;
    created_utc: string;
  }>(
    // By the column, not the text output column `id` ("10" < "9"): checkpoints must stay in size order.
    "SELECT id::text, size::text, root, note, created_utc FROM ledger_checkpoints WHERE id > $1 ORDER BY ledger_checkpoints.id",
    [afterId],
  );
  return r.rows.map((c) => ({
    id: Number(c.id),
    size: Number(c.size),
    root: c.root,
    note: c.note,
    createdUtc: c.created_utc,
  }));
}
