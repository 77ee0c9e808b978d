import type Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import { entryFromCanonical, type LedgerEntry } from "./ledgerEntry.ts";
import { LEDGER_COLUMNS, type LedgerRowTuple } from "./ledgerSchema.ts";
import type { LedgerQuery } from "./ledgerTypes.ts";
import { consistencyProof } from "./merkle.ts";

// The ledger's reads, each on the writer's connection (Ledger's query methods call these).

/** The last n entries, oldest first. */
export function tailEntries(db: Database.Database, n: number): LedgerEntry[] {
  const limit = Math.max(0, Math.floor(n));
  const rows = db
    .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger ORDER BY seq DESC LIMIT ?`)
    .raw()
    .all(limit) as LedgerRowTuple[];
  return rows.reverse().map(toEntry);
}

/** Every entry of one correlation thread (a run, an incident), oldest first. */
export function correlationEntries(db: Database.Database, id: string): LedgerEntry[] {
  const rows = db
    .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger WHERE (correlation_id || '') = ? ORDER BY seq`)
    .raw()
    .all(id) as LedgerRowTuple[];
  return rows.map(toEntry);
}

/** The WHERE conditions of a query's seq and event-type filters, with their parameters in order. */
function filterConditions(filters: Pick<LedgerQuery, "afterSeq" | "eventType">): {
  conditions: string[];
  params: unknown[];
} {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filters.afterSeq !== undefined) {
    conditions.push("seq > ?");
    params.push(Math.floor(filters.afterSeq));
  }
  if (filters.eventType !== undefined) {
    conditions.push("(event_type || '') = ?");
    params.push(filters.eventType);
  }
  return { conditions, params };
}

/** Entries filtered by event type, oldest first unless `newestFirst`; `limit` caps the count. */
export function queryEntries(db: Database.Database, filters: LedgerQuery): LedgerEntry[] {
  const order = filters.newestFirst ? "DESC" : "ASC";
  // SQLite reads LIMIT -1 as "no limit".
  const limit = filters.limit === undefined ? -1 : Math.max(0, Math.floor(filters.limit));
  const { conditions, params } = filterConditions(filters);
  params.push(limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  const rows = db
    .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger ${where} ORDER BY seq ${order} LIMIT ?`)
    .raw()
    .all(...params) as LedgerRowTuple[];
  return rows.map(toEntry);
}

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * Payload fields of the entries queryEntries would return for `filters` (newest first), keeping those
 * stamped at or after `sinceUtc`: one row per entry, one value per path (inside the payload, e.g.
 * "error.code"), as SQLite's json_extract gives it (true/false as 1/0, an object as its JSON text).
 * SQLite reads the fields out of the stored text, so no entry is parsed here: counting or summing a
 * window of a few thousand entries costs a few milliseconds of the event loop instead of tens.
 */
export function payloadFieldRows(
  db: Database.Database,
  filters: Omit<LedgerQuery, "newestFirst"> & { sinceUtc?: string },
  paths: readonly string[],
): unknown[][] {
  for (const p of paths) {
    if (!FIELD_PATH.test(p)) {
      throw new CodexError("INTERNAL", `payload field path ${JSON.stringify(p)} is not a dotted name`, {
        hint: "name payload fields as key or key.subkey (letters, digits, underscores)",
      });
    }
  }
  // Parameters in the order the SQL text names them: the fields, the inner conditions and limit, the time.
  const filtered = filterConditions(filters);
  const conditions = filtered.conditions;
  const params: unknown[] = [...paths.map((p) => `$.payload.${p}`), ...filtered.params];
  params.push(filters.limit === undefined ? -1 : Math.max(0, Math.floor(filters.limit)));
  let since = "";
  if (filters.sinceUtc !== undefined) {
    since = "WHERE canonical ->> '$.timestamp_utc' >= ?";
    params.push(filters.sinceUtc);
  }
  const columns = paths.length > 0 ? paths.map(() => "json_extract(canonical, ?)").join(", ") : "1";
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return db
    .prepare(
      `SELECT ${columns} FROM (SELECT seq, canonical FROM ledger ${where} ORDER BY seq DESC LIMIT ?) ${since} ORDER BY seq DESC`,
    )
    .raw()
    .all(...params) as unknown[][];
}

/**
 * RFC 6962 consistency proof (hex hashes) from the tree of the first `oldSize` entries to the tree of the
 * first `size`. Reads every entry hash: O(size).
 */
export function consistencyProofHex(db: Database.Database, oldSize: number, size: number): string[] {
  const hashes = (
    db.prepare("SELECT entry_hash FROM ledger WHERE seq < ? ORDER BY seq").pluck().all(size) as string[]
  ).map((h) => Buffer.from(h, "hex"));
  return consistencyProof(oldSize, hashes).map((b) => b.toString("hex"));
}

function toEntry(r: LedgerRowTuple): LedgerEntry {
  return entryFromCanonical(r[2], r[1]);
}
