import type pg from "pg";
import { CodexError } from "../../core/CodexError.ts";
import { MerkleFrontier } from "../MerkleFrontier.ts";

/** Past this many entries appended by others since our last look, the persisted frontier is read instead. */
const CATCH_UP_ROWS = 4096;
export const FRONTIER_KEY = "merkle_frontier";

interface Known {
  /** The frontier as this writer last saw it, and the hash of its last entry. */
  frontier: MerkleFrontier;
  head: string;
  /** The database, for messages. */
  path: string;
}

/**
 * Inside a transaction (a writer's holds the write lock): brings a writer's head and Merkle frontier up
 * to the rows other replicas appended since it last looked, reading their hashes (or, past
 * CATCH_UP_ROWS, the persisted frontier), and refuses a ledger that lost rows or whose entry at our head
 * changed under us. Returns `known.frontier` itself when nothing moved.
 */
export async function catchUp(
  client: pg.ClientBase,
  known: Known,
): Promise<{ frontier: MerkleFrontier; head: string }> {
  const at = known.frontier.size - 1;
  const max = await client.query<{ max: string | null }>("SELECT max(seq)::text AS max FROM ledger");
  const last = max.rows[0]?.max === null || max.rows[0] === undefined ? -1 : Number(max.rows[0].max);
  if (last < at) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${known.path} was truncated under this process: it held ${at + 1} entries, it now holds ${last + 1}`,
      { hint: "run `maos ledger verify`; restore the ledger from a backup before writing to it" },
    );
  }
  if (last === at) return { frontier: known.frontier, head: known.head };
  if (last - at > CATCH_UP_ROWS) {
    const saved = await client.query<{ value: string }>("SELECT value FROM ledger_meta WHERE key = $1", [
      FRONTIER_KEY,
    ]);
    const headRow = await client.query<{ entry_hash: string }>(
      "SELECT entry_hash FROM ledger WHERE seq = $1",
      [last],
    );
    const loaded = saved.rows[0] ? MerkleFrontier.deserialize(JSON.parse(saved.rows[0].value)) : undefined;
    if (loaded?.size === last + 1 && headRow.rows[0]) {
      if (at >= 0) {
        const ours = await client.query<{ entry_hash: string }>(
          "SELECT entry_hash FROM ledger WHERE seq = $1",
          [at],
        );
        if (ours.rows[0]?.entry_hash !== known.head) throw rewritten(known.path, at);
      }
      return { frontier: loaded, head: headRow.rows[0].entry_hash };
    }
  }
  // Ordered by the bigint column (an alias `seq` of the text cast would order "10" before "2").
  const rows = await client.query<{ s: string; entry_hash: string }>(
    "SELECT seq::text AS s, entry_hash FROM ledger WHERE seq >= $1 ORDER BY seq",
    [Math.max(at, 0)],
  );
  let head = known.head;
  const next = known.frontier.clone();
  for (const r of rows.rows) {
    const seq = Number(r.s);
    if (seq === at) {
      if (r.entry_hash !== known.head) throw rewritten(known.path, at);
      continue;
    }
    if (seq !== next.size) {
      throw new CodexError(
        "LEDGER_BROKEN",
        `ledger ${known.path} has a gap: expected seq ${next.size}, found ${seq}`,
        {
          hint: "run `maos ledger verify` and restore the ledger from a backup",
        },
      );
    }
    next.push(r.entry_hash);
    head = r.entry_hash;
  }
  return { frontier: next, head };
}

function rewritten(path: string, seq: number): CodexError {
  return new CodexError(
    "LEDGER_BROKEN",
    `ledger ${path}: the entry at seq ${seq} changed under this process`,
    {
      hint: "run `maos ledger verify`; restore the ledger from a backup before writing to it",
    },
  );
}
