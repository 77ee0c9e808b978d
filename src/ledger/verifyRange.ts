import { hash } from "node:crypto";
import type Database from "better-sqlite3";
import { canonicalProblem } from "./ledgerEntry.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";

/**
 * One slice of a verification: rows with seq in [startSeq, endSeq), which starts on a multiple of
 * `blockSize` (a power of two). Within it the Merkle leaves are grouped into aligned blocks of
 * `blockSize`; every block's root and the block-local frontier at each requested size let the caller
 * rebuild the whole tree's root at any size without rehashing the leaves (see verifyLedger).
 */
export interface RangeTask {
  startSeq: number;
  endSeq: number;
  blockSize: number;
  /** Ledger sizes (seq + 1) whose root the caller needs, sorted ascending; those in this range are kept. */
  sizes: number[];
  /** Also parse and re-canonicalise every entry (slower; catches bytes the writer could not have made). */
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

/** What a range worker is handed: the chunks of one pass, and where to claim them and report each one. */
export interface ChunkJob {
  /** The ledger file's path, or the immutable URI openLedgerReadOnly opened it with. */
  source: string;
  /** Chunk k covers seq [k * blockSize, (k + 1) * blockSize); the last one runs to the end. */
  chunks: number;
  blockSize: number;
  sizes: number[];
  deep: boolean;
  /** Whether each worker maps the file while scanning (VerifyOptions.mapFile). */
  mapFile: boolean;
}

export function chunkTask(job: ChunkJob, k: number): RangeTask {
  return {
    startSeq: k * job.blockSize,
    endSeq: k === job.chunks - 1 ? Number.POSITIVE_INFINITY : (k + 1) * job.blockSize,
    blockSize: job.blockSize,
    sizes: job.sizes,
    deep: job.deep,
  };
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

const PREV_KEY = ',"prev_hash":"';
const SEAL_KEY = ',"seal_version":';
const SEQ_KEY = ',"seq":';
const TIME_KEY = ',"timestamp_ct":"';
/** `,"timestamp_ct":"…","timestamp_utc":"…"}` as utcIso and chicagoIso write them: 17 + 29 + 19 + 24 + 2. */
const TIME_TAIL = 91;
const NULL_SEAL = ',"seal_version":null';

/**
 * prev_hash and the seq text of a canonical entry, read from its end, or undefined when it does not end
 * like one. In RFC 8785 key order `payload` comes before `prev_hash`, `seal_version`, `seq` and the
 * timestamps, and none of those values can hold a structural `,"` (a quote inside a JSON string is always
 * escaped), so the LAST `,"seq":` and `,"seal_version":` are the top-level keys even when the payload has
 * keys of those names; prev_hash is the 64 characters just before `","seal_version":`.
 * `seq` is the row's seq: the writer's layout (fixed-width timestamps, null seal) is checked at fixed
 * offsets first, since this runs for every row of a verification; anything else is searched for.
 */
export function chainFields(
  canonical: string,
  seq: number,
): { prevHash: string; seqText: string } | undefined {
  const c = canonical;
  const t = c.length - TIME_TAIL;
  const seqText = String(seq);
  const s = t - seqText.length - SEQ_KEY.length;
  const sv = s - NULL_SEAL.length;
  if (
    c.startsWith(TIME_KEY, t) &&
    c.startsWith(SEQ_KEY, s) &&
    c.startsWith(seqText, s + SEQ_KEY.length) &&
    c.startsWith(NULL_SEAL, sv)
  ) {
    return prevBefore(c, sv, seqText);
  }
  const time = c.lastIndexOf(TIME_KEY);
  const seqAt = c.lastIndexOf(SEQ_KEY, time);
  const sealAt = c.lastIndexOf(SEAL_KEY, seqAt);
  if (time < 0 || seqAt < 0 || sealAt < 0) return undefined;
  return prevBefore(c, sealAt, c.slice(seqAt + SEQ_KEY.length, time));
}

function prevBefore(c: string, sealAt: number, seqText: string) {
  const at = sealAt - 65; // `"` + 64 hex characters
  if (
    at < PREV_KEY.length ||
    !c.startsWith(PREV_KEY, at - PREV_KEY.length) ||
    c.charCodeAt(sealAt - 1) !== 34
  ) {
    return undefined;
  }
  return { prevHash: c.slice(at, sealAt - 1), seqText };
}

/** Rows per read: large enough to amortise the statement, small enough to stay in the CPU cache. */
const CHUNK = 1024;

/** Scans one range on `db`, a read-only connection the caller opened (and mapped or not, see mapFile). */
export function verifyRange(task: RangeTask, db: Database.Database): RangeResult {
  const { blockSize, deep } = task;
  const wanted = task.sizes.filter((s) => s > task.startSeq && s <= task.endSeq).sort((a, b) => a - b);
  let nextWanted = 0;
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
  // Only the stored bytes and their hash are read: every other column is generated from `canonical`.
  // Read in chunks (keyset pagination: seq is the primary key), which costs less than a row iterator.
  const chunk = db
    .prepare(
      `SELECT seq, entry_hash, canonical FROM ledger WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT ${CHUNK}`,
    )
    .raw();
  const endSeq = Math.min(task.endSeq, MAX_SEQ);

  let block = new MerkleFrontier();
  let blockStart = task.startSeq;
  // Leaf index: the position in seq order, which equals seq while the ledger has no gaps.
  let index = task.startSeq;
  let prevEntryHash: string | null = null;
  for (let from = task.startSeq; from < endSeq; ) {
    const rows = chunk.all(from, endSeq) as [number, unknown, unknown][];
    if (rows.length === 0) break;
    from = (rows[rows.length - 1] as [number, unknown, unknown])[0] + 1;
    for (const [seq, storedHash, stored] of rows) {
      if (seq !== index) bad(index, `gap: expected seq ${index}, found ${seq} (rows deleted or renumbered)`);
      let canonical: string;
      let entryHash: string;
      if (typeof stored === "string" && typeof storedHash === "string") {
        canonical = stored;
        entryHash = storedHash;
      } else {
        // A BLOB with the same bytes would hash alike, but the generated columns would not read it as JSON.
        bad(seq, "row edited: canonical or entry_hash is not TEXT");
        canonical = String(stored);
        entryHash = String(storedHash);
      }
      // The leaf is the hash of the stored bytes; "\0" is the RFC 6962 leaf prefix byte 0x00.
      const leaf = hash("sha256", `\0${canonical}`, "hex");
      if (leaf !== entryHash) bad(seq, "row edited: entry_hash does not match the canonical bytes");
      // Most rows are in the writer's layout and continue the chain: compared in place, nothing allocated.
      if (prevEntryHash === null || !chainContinues(canonical, seq, prevEntryHash)) {
        const chain = chainFields(canonical, seq);
        if (out.firstSeq === null) {
          out.firstSeq = seq;
          out.firstPrevHash = chain?.prevHash ?? null;
        }
        if (chain === undefined) bad(seq, "row edited: canonical bytes do not end like a ledger entry");
        else if (chain.seqText !== String(seq)) {
          bad(seq, `reordered: the row at seq ${seq} holds the entry written as seq ${chain.seqText}`);
        } else if (prevEntryHash !== null && chain.prevHash !== prevEntryHash) {
          bad(seq, "chain broken: prev_hash mismatch");
        }
      }
      if (deep && out.firstBad === undefined) {
        const problem = canonicalProblem(canonical);
        if (problem) bad(seq, `row edited: ${problem}`);
      }
      prevEntryHash = entryHash;

      if (index > blockStart && (index - blockStart) % blockSize === 0) {
        out.blocks.push({ start: blockStart, size: block.size, root: block.rootHex() });
        block = new MerkleFrontier();
        blockStart = index;
      }
      block.push(leaf);
      index++;
      out.count++;
      if (index === wanted[nextWanted]) {
        out.snapshots.push({ size: index, nodes: block.nodesHex() });
        nextWanted++;
      }
      out.lastSeq = seq;
      out.lastEntryHash = entryHash;
    }
  }
  if (block.size > 0) out.blocks.push({ start: blockStart, size: block.size, root: block.rootHex() });
  return out;
}

/**
 * True when the canonical text `c` ends in the writer's layout (fixed-width timestamps, null seal) with
 * exactly this seq and prev_hash: what chainFields would read, compared in place. False means "look
 * closer" (chainFields), not "bad".
 */
function chainContinues(c: string, seq: number, prevHash: string): boolean {
  const t = c.length - TIME_TAIL;
  const seqText = String(seq);
  const s = t - seqText.length - SEQ_KEY.length;
  const sv = s - NULL_SEAL.length;
  const at = sv - 65; // `"` + 64 hex characters
  return (
    c.startsWith(TIME_KEY, t) &&
    c.startsWith(SEQ_KEY, s) &&
    c.startsWith(seqText, s + SEQ_KEY.length) &&
    c.startsWith(NULL_SEAL, sv) &&
    c.charCodeAt(sv - 1) === 34 &&
    at >= PREV_KEY.length &&
    c.startsWith(PREV_KEY, at - PREV_KEY.length) &&
    prevHash.length === 64 &&
    c.startsWith(prevHash, at)
  );
}
