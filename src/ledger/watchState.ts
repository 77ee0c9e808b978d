import { createHash, hash } from "node:crypto";
import { statSync } from "node:fs";
import type Database from "better-sqlite3";
import { canonicalProblem } from "./ledgerEntry.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import { chainFields } from "./verifyRange.ts";

// LedgerWatch's state (what a passing verification established), its persisted form, and the scan of the
// rows added since.

const CHUNK = 1024;

/**
 * What a passing verification established, as plain JSON: enough for a later watch (another process, or
 * after a restart) to check only what was added since. Kept signed in state.db (see verifiedMark.ts).
 */
export interface WatchMark {
  v: 1;
  size: number;
  headHash: string;
  /** The RFC 6962 frontier at `size` (hex, largest subtree first). */
  frontier: string[];
  genesisHash: string;
  origin?: string;
  fileId: string;
  schemaCookie: number;
  table: { count: number; maxId: number; lastSize?: number; maxGood: number };
  /** [sha256 of an extra checkpoint note, its size], for every extra note that verified. */
  extras: [string, number][];
  /** When the last full pass over every row passed (ms since the epoch, from `now`). */
  fullAt: number;
}

/** What the last good verification established; every later call starts from it. */
export interface Verified {
  size: number;
  headHash: string;
  frontier: MerkleFrontier;
  genesisHash: string;
  origin: string | undefined;
  /** The file and its SQLite schema cookie: a replaced file or any schema change (as DROP TRIGGER) is unexpected. */
  fileId: string;
  schemaCookie: number;
  /** maxGood: the largest checkpoint size of the table that verified. */
  table: { count: number; maxId: number; lastSize: number | undefined; maxGood: number };
  /** sha256 of every extra checkpoint note that verified → its size. */
  extras: Map<string, number>;
  fullAt: number;
}

/** Raised inside a call when a cheap check fails: the call falls back to a full verification. */
export class Escalate extends Error {}

/** The state a mark continues from (see WatchMark), or undefined for a mark that does not parse. */
export function verifiedFromMark(m: WatchMark): Verified | undefined {
  if (m?.v !== 1 || !Number.isSafeInteger(m.size) || m.size < 1 || !Array.isArray(m.frontier))
    return undefined;
  let frontier: MerkleFrontier;
  try {
    frontier = new MerkleFrontier(m.size, m.frontier);
  } catch {
    return undefined;
  }
  return {
    size: m.size,
    headHash: m.headHash,
    frontier,
    genesisHash: m.genesisHash,
    origin: m.origin,
    fileId: m.fileId,
    schemaCookie: m.schemaCookie,
    table: {
      count: m.table.count,
      maxId: m.table.maxId,
      lastSize: m.table.lastSize,
      maxGood: m.table.maxGood,
    },
    extras: new Map(m.extras),
    fullAt: m.fullAt,
  };
}

/** The plain-JSON form of a verified state, to persist. */
export function markOf(v: Verified): WatchMark {
  const mark: WatchMark = {
    v: 1,
    size: v.size,
    headHash: v.headHash,
    frontier: v.frontier.nodesHex(),
    genesisHash: v.genesisHash,
    fileId: v.fileId,
    schemaCookie: v.schemaCookie,
    table: { count: v.table.count, maxId: v.table.maxId, maxGood: v.table.maxGood },
    extras: [...v.extras],
    fullAt: v.fullAt,
  };
  if (v.origin !== undefined) mark.origin = v.origin;
  if (v.table.lastSize !== undefined) mark.table.lastSize = v.table.lastSize;
  return mark;
}

/** Checks rows [state.size, size) as verifyRange does and pushes them onto `frontier`; returns the head hash. */
export function scanNewRows(
  db: Database.Database,
  state: Verified,
  size: number,
  frontier: MerkleFrontier,
  wanted: ReadonlySet<number>,
  roots: Map<number, string>,
  deep: boolean,
): string {
  const chunk = db
    .prepare(
      `SELECT seq, entry_hash, canonical FROM ledger WHERE seq >= ? AND seq < ? ORDER BY seq LIMIT ${CHUNK}`,
    )
    .raw();
  let prev = state.headHash;
  let index = state.size;
  while (index < size) {
    const rows = chunk.all(index, size) as [number, unknown, unknown][];
    if (rows.length === 0) break;
    for (const [seq, storedHash, canonical] of rows) {
      if (seq !== index) throw new Escalate(`gap: expected seq ${index}, found ${seq}`);
      if (typeof canonical !== "string" || typeof storedHash !== "string") {
        throw new Escalate(`row edited: seq ${seq} is not TEXT`);
      }
      const leaf = hash("sha256", `\0${canonical}`, "hex");
      if (leaf !== storedHash) throw new Escalate(`row edited: entry_hash at seq ${seq}`);
      const chain = chainFields(canonical, seq);
      if (chain === undefined || chain.seqText !== String(seq) || chain.prevHash !== prev) {
        throw new Escalate(`chain broken at seq ${seq}`);
      }
      if (deep) {
        const problem = canonicalProblem(canonical);
        if (problem) throw new Escalate(`row edited at seq ${seq}: ${problem}`);
      }
      frontier.push(leaf);
      prev = leaf;
      index++;
      if (wanted.has(index)) roots.set(index, frontier.rootHex());
    }
  }
  if (index !== size) throw new Escalate(`rows below seq ${size} went missing`);
  return prev;
}

export function fileId(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

/** SQLite's schema cookie: bumped by every CREATE, DROP or ALTER, including the triggers'. */
export function schemaCookie(db: Database.Database): number {
  return Number(db.pragma("schema_version", { simple: true }));
}

/** The key an extra checkpoint note is remembered by. */
export function noteKey(note: string): string {
  return createHash("sha256").update(note).digest("hex");
}
