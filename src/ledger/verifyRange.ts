import { hash } from "node:crypto";
import Database from "better-sqlite3";
import canonicalize from "canonicalize";
import { canonicalEntry } from "./ledgerEntry.ts";
import { LEDGER_COLUMNS, type LedgerRowTuple } from "./ledgerSchema.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";

/**
 * One slice of a verification: rows with seq in [startSeq, endSeq), which starts on a multiple of
 * `blockSize` (a power of two). Within it the Merkle leaves are grouped into aligned blocks of
 * `blockSize`; every block's root and the block-local frontier at each requested size let the caller
 * rebuild the whole tree's root at any size without rehashing the leaves (see verifyLedger).
 */
export interface RangeTask {
  path: string;
  startSeq: number;
  endSeq: number;
  blockSize: number;
  /** Ledger sizes (seq + 1) whose root the caller needs, sorted ascending; those in this range are kept. */
  sizes: number[];
  /** Check every row in JS and re-canonicalise every payload (slower; catches a non-canonical payload). */
  deep: boolean;
}

export interface RangeResult {
  count: number;
  firstSeq: number | null;
  firstPrevHash: string | null;
  lastSeq: number | null;
  lastEntryHash: string | null;
  /** Roots (hex) of the blocks, in order; the last may be partial. */
  blocks: { start: number; size: number; root: string }[];
  /** Block-local frontier nodes (hex) after `size` leaves in total. */
  snapshots: { size: number; nodes: string[] }[];
  firstBad?: { seq: number; reason: string };
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const TEXT_COLUMNS = [
  "actor_identity",
  "correlation_id",
  "environment",
  "event_type",
  "id",
  "level",
  "prev_hash",
  "timestamp_ct",
  "timestamp_utc",
];

/**
 * The fast path: SQLite rebuilds each row's canonical text from its columns with one concat() and
 * compares it to the stored bytes, so only 4 values per row cross into JS. The concat puts the text
 * columns between literal quotes without escaping; the guard (every one TEXT, none holding '"' or '\';
 * LIKE, as GLOB costs four times more here, and neither character is special to LIKE)
 * makes that exactly JSON.stringify (a raw control character cannot match, since canonical text never
 * holds one). Rows the fast path does not confirm get the exact check in JS (canonicalEntry).
 */
const FAST_SAME = `(canonical = concat('{"actor_identity":"', actor_identity, '","correlation_id":"', correlation_id,
  '","environment":"', environment, '","event_type":"', event_type, '","id":"', id, '","level":"', level,
  '","payload":', payload, ',"prev_hash":"', prev_hash, '","seal_version":',
  CASE WHEN seal_version IS NULL THEN 'null' ELSE concat('"', seal_version, '"') END,
  ',"seq":', seq, ',"timestamp_ct":"', timestamp_ct, '","timestamp_utc":"', timestamp_utc, '"}')
  AND ${TEXT_COLUMNS.map((c) => `typeof(${c}) = 'text'`).join(" AND ")}
  AND typeof(payload) = 'text' AND (seal_version IS NULL OR typeof(seal_version) = 'text')
  AND concat(${TEXT_COLUMNS.join(", ")}, seal_version) NOT LIKE '%"%'
  AND concat(${TEXT_COLUMNS.join(", ")}, seal_version) NOT LIKE '%\\%')`;

export function verifyRange(task: RangeTask, db?: Database.Database): RangeResult {
  const own = db === undefined;
  const conn = db ?? new Database(task.path, { readonly: true, fileMustExist: true });
  try {
    return scan(task, conn);
  } finally {
    if (own) conn.close();
  }
}

function scan(task: RangeTask, db: Database.Database): RangeResult {
  const { blockSize, deep } = task;
  const wanted = new Set(task.sizes.filter((s) => s > task.startSeq && s <= task.endSeq));
  const out: RangeResult = {
    count: 0,
    firstSeq: null,
    firstPrevHash: null,
    lastSeq: null,
    lastEntryHash: null,
    blocks: [],
    snapshots: [],
  };
  const bad = (seq: number, reason: string) => {
    if (out.firstBad === undefined) out.firstBad = { seq, reason };
  };
  const fullRow = db.prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger WHERE seq = ?`).raw();
  const rows = db
    .prepare(
      `SELECT seq, prev_hash, entry_hash, canonical, ${deep ? "0" : FAST_SAME} FROM ledger WHERE seq >= ? AND seq < ? ORDER BY seq`,
    )
    .raw()
    .iterate(task.startSeq, Math.min(task.endSeq, MAX_SEQ)) as IterableIterator<
    [number, string, string, string, number | null]
  >;

  let block = new MerkleFrontier();
  let blockStart = task.startSeq;
  // Leaf index: the position in seq order, which equals seq while the ledger has no gaps.
  let index = task.startSeq;
  let prevEntryHash: string | null = null;
  for (const [seq, prevHash, storedHash, stored, same] of rows) {
    if (out.firstSeq === null) {
      out.firstSeq = seq;
      out.firstPrevHash = prevHash;
    }
    if (seq !== index) bad(index, `gap: expected seq ${index}, found ${seq} (rows deleted or renumbered)`);
    if (same !== 1 && out.firstBad === undefined) {
      const problem = checkRowInJs(fullRow.get(seq) as LedgerRowTuple, deep);
      if (problem) bad(seq, problem);
    }
    // The leaf is the hash of the stored bytes; "\0" is the RFC 6962 leaf prefix byte 0x00.
    const leaf = hash("sha256", `\0${stored}`, "hex");
    if (leaf !== storedHash) bad(seq, "row edited: entry_hash does not match the canonical bytes");
    if (prevEntryHash !== null && prevHash !== prevEntryHash) bad(seq, "chain broken: prev_hash mismatch");
    prevEntryHash = storedHash;

    if (index > blockStart && (index - blockStart) % blockSize === 0) {
      out.blocks.push({ start: blockStart, size: block.size, root: block.rootHex() });
      block = new MerkleFrontier();
      blockStart = index;
    }
    block.push(leaf);
    index++;
    out.count++;
    if (wanted.has(index)) out.snapshots.push({ size: index, nodes: block.nodesHex() });
    out.lastSeq = seq;
    out.lastEntryHash = storedHash;
  }
  if (block.size > 0) out.blocks.push({ start: blockStart, size: block.size, root: block.rootHex() });
  return out;
}

/** The exact check: rebuild the canonical text in JS from the columns and compare. */
function checkRowInJs(r: LedgerRowTuple, deep: boolean): string | undefined {
  const canonical = canonicalEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
  if (canonical !== r[13] || r.some((v, i) => i !== 0 && i !== 9 && typeof v !== "string")) {
    return explainMismatch(r);
  }
  if (deep && !isCanonicalJson(r[7])) return "row edited: payload is not RFC 8785 canonical JSON";
  return undefined;
}

/** Only on the failure path: says whether the row moved (reorder) or which columns were edited. */
function explainMismatch(r: LedgerRowTuple): string {
  let written: Record<string, unknown>;
  try {
    written = JSON.parse(String(r[13]));
  } catch {
    return "row edited: canonical bytes are not valid JSON";
  }
  if (written.seq !== r[0]) {
    return `reordered: the row at seq ${r[0]} holds the entry written as seq ${String(written.seq)}`;
  }
  const columns: [string, unknown][] = [
    ["id", r[1]],
    ["timestamp_utc", r[2]],
    ["timestamp_ct", r[3]],
    ["event_type", r[4]],
    ["level", r[5]],
    ["actor_identity", r[6]],
    ["correlation_id", r[8]],
    ["seal_version", r[9]],
    ["environment", r[10]],
    ["prev_hash", r[11]],
  ];
  const changed = columns.filter(([k, v]) => written[k] !== v).map(([k]) => k);
  let payloadText: string | undefined;
  try {
    payloadText = canonicalize(written.payload);
  } catch {
    payloadText = undefined;
  }
  if (payloadText !== r[7]) changed.push("payload");
  return `row edited: canonical bytes do not match columns${changed.length > 0 ? ` (${changed.join(", ")})` : ""}`;
}

function isCanonicalJson(text: string): boolean {
  try {
    return canonicalize(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}
