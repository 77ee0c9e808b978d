import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ObjectFormat } from "./gitObjects.ts";

/**
 * git's split index, read and extended without a git process: `.git/index` holds only the entries
 * changed since `sharedindex.<id>` was written (a "link" extension names it, with EWAH bitmaps of the
 * shared entries deleted or replaced). Staging a run folder then rewrites a file the size of the recent
 * changes, not one the size of the whole vault. Only index versions 2 and 3 are handled; anything else
 * (no index, not split, version 4, unmerged entries) returns undefined and the caller uses git itself.
 */

export interface IndexEntry {
  path: string;
  /** git's mode bits, e.g. 0o100644. */
  mode: number;
  oid: string;
}

interface RawEntry {
  name: string;
  mode: number;
  oid: string;
  raw: Buffer;
}

interface Shared {
  /** Position of every entry outside runs/ (the few documents), and its mode and id. */
  docs: Map<string, { pos: number; mode: number; oid: string }>;
  count: number;
}

export interface SplitIndex {
  version: number;
  sharedOid: string;
  shared: Shared;
  deleted: Set<number>;
  /** Shared position → its replacement (nameless in the file). */
  replaced: Map<number, RawEntry>;
  /** Entries added since the shared index was written, by path. */
  added: Map<string, RawEntry>;
}

const RUNS_PREFIX = Buffer.from("runs/");
const MAX_SPLIT_BYTES = 4 * 1024 * 1024;
const sharedCache = new Map<string, Shared>();

function hashSize(format: ObjectFormat): number {
  return format === "sha1" ? 20 : 32;
}

/** Entries of one index file; `docsOnly` skips decoding the names under runs/ (a shared index). */
function parseEntries(
  buf: Buffer,
  format: ObjectFormat,
  docsOnly: boolean,
): { version: number; entries: (RawEntry | undefined)[]; end: number } | undefined {
  if (buf.length < 12 || buf.toString("latin1", 0, 4) !== "DIRC") return undefined;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  const count = buf.readUInt32BE(8);
  const hs = hashSize(format);
  const entries: (RawEntry | undefined)[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    const flags = buf.readUInt16BE(at + 40 + hs);
    if ((flags & 0x3000) !== 0) return undefined; // an unmerged entry: let git report it
    let nameAt = at + 40 + hs + 2;
    if ((flags & 0x4000) !== 0) nameAt += 2;
    let len = flags & 0xfff;
    if (len === 0xfff) len = buf.indexOf(0, nameAt) - nameAt;
    const size = (nameAt - at + len + 8) & ~7;
    if (docsOnly && buf.compare(RUNS_PREFIX, 0, 5, nameAt, nameAt + 5) === 0) {
      entries.push(undefined);
    } else {
      entries.push({
        name: buf.toString("utf8", nameAt, nameAt + len),
        mode: buf.readUInt32BE(at + 24),
        oid: buf.toString("hex", at + 40, at + 40 + hs),
        raw: buf.subarray(at, at + size),
      });
    }
    at += size;
  }
  return { version, entries, end: at };
}

/** Reads `.git/index` as a split index, or undefined when it is not one this module can extend. */
export async function readSplitIndex(gitDir: string, format: ObjectFormat): Promise<SplitIndex | undefined> {
  // A split file holds at most CONSOLIDATE_AT-odd entries; a bigger one is a whole index, not read here.
  const size = (await stat(join(gitDir, "index")).catch(() => undefined))?.size;
  if (size === undefined || size > MAX_SPLIT_BYTES) return undefined;
  const buf = await readFile(join(gitDir, "index")).catch(() => undefined);
  if (!buf) return undefined;
  const parsed = parseEntries(buf, format, false);
  if (!parsed) return undefined;
  const hs = hashSize(format);
  let link: Buffer | undefined;
  for (let at = parsed.end; at + 8 <= buf.length - hs; ) {
    const sig = buf.toString("latin1", at, at + 4);
    const size = buf.readUInt32BE(at + 4);
    if (sig === "link") link = buf.subarray(at + 8, at + 8 + size);
    at += 8 + size;
  }
  if (!link || link.length < hs) return undefined;
  const sharedOid = link.toString("hex", 0, hs);
  let deletedBits: number[] = [];
  let replacedBits: number[] = [];
  if (link.length > hs) {
    const del = readEwah(link, hs);
    deletedBits = del.bits;
    replacedBits = readEwah(link, hs + del.bytes).bits;
  }
  const shared = await readShared(gitDir, format, sharedOid);
  if (!shared) return undefined;
  const replaced = new Map<number, RawEntry>();
  const added = new Map<string, RawEntry>();
  parsed.entries.forEach((e, i) => {
    if (!e) return;
    if (i < replacedBits.length) replaced.set(replacedBits[i] as number, e);
    else added.set(e.name, e);
  });
  return { version: parsed.version, sharedOid, shared, deleted: new Set(deletedBits), replaced, added };
}

async function readShared(gitDir: string, format: ObjectFormat, oid: string): Promise<Shared | undefined> {
  const cached = sharedCache.get(oid);
  if (cached) return cached;
  const buf = await readFile(join(gitDir, `sharedindex.${oid}`)).catch(() => undefined);
  if (!buf) return undefined;
  const parsed = parseEntries(buf, format, true);
  if (!parsed) return undefined;
  const docs = new Map<string, { pos: number; mode: number; oid: string }>();
  parsed.entries.forEach((e, pos) => {
    if (e) docs.set(e.name, { pos, mode: e.mode, oid: e.oid });
  });
  const shared = { docs, count: parsed.entries.length };
  sharedCache.clear(); // one shared index is current at a time
  sharedCache.set(oid, shared);
  return shared;
}

/** Every entry outside runs/ as the index holds it now (shared, minus deleted, replaced, plus added). */
export function indexDocs(index: SplitIndex): IndexEntry[] {
  const out = new Map<string, IndexEntry>();
  for (const [path, d] of index.shared.docs) {
    if (index.deleted.has(d.pos)) continue;
    const r = index.replaced.get(d.pos);
    out.set(path, { path, mode: r?.mode ?? d.mode, oid: r?.oid ?? d.oid });
  }
  for (const [path, e] of index.added) {
    if (!path.startsWith("runs/")) out.set(path, { path, mode: e.mode, oid: e.oid });
  }
  return [...out.values()];
}

/** Stages `path` (its worktree stat, so git status sees it clean) in the in-memory index. */
export function stageEntry(index: SplitIndex, format: ObjectFormat, e: IndexEntry, st: BigIntStats): void {
  const doc = index.shared.docs.get(e.path);
  if (doc && !index.deleted.has(doc.pos)) {
    index.replaced.set(doc.pos, {
      name: e.path,
      mode: e.mode,
      oid: e.oid,
      raw: entryBytes(format, e, st, ""),
    });
  } else {
    index.added.set(e.path, {
      name: e.path,
      mode: e.mode,
      oid: e.oid,
      raw: entryBytes(format, e, st, e.path),
    });
  }
}

/** The number of entries `.git/index` holds beyond the shared index (what each write costs). */
export function splitSize(index: SplitIndex): number {
  return index.added.size + index.replaced.size;
}

/** Writes `.git/index` through `index.lock`, as git does; fails if another git holds the lock. */
export async function writeSplitIndex(
  gitDir: string,
  format: ObjectFormat,
  index: SplitIndex,
): Promise<void> {
  const replacedAt = [...index.replaced.keys()].sort((a, b) => a - b);
  const added = [...index.added.values()].sort((a, b) =>
    Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)),
  );
  const header = Buffer.alloc(12);
  header.write("DIRC", 0, "latin1");
  header.writeUInt32BE(index.version, 4);
  header.writeUInt32BE(replacedAt.length + added.length, 8);
  const link = Buffer.concat([
    Buffer.from(index.sharedOid, "hex"),
    writeEwah([...index.deleted].sort((a, b) => a - b)),
    writeEwah(replacedAt),
  ]);
  const ext = Buffer.alloc(8);
  ext.write("link", 0, "latin1");
  ext.writeUInt32BE(link.length, 4);
  const body = Buffer.concat([
    header,
    ...replacedAt.map((p) => (index.replaced.get(p) as RawEntry).raw),
    ...added.map((e) => e.raw),
    ext,
    link,
  ]);
  const file = Buffer.concat([body, createHash(format).update(body).digest()]);
  const lock = join(gitDir, "index.lock");
  await writeFile(lock, file, { flag: "wx" });
  try {
    await rename(lock, join(gitDir, "index"));
  } catch (err) {
    await rm(lock, { force: true });
    throw err;
  }
  // git deletes shared index files it has not seen used for two weeks: this use counts.
  const now = new Date();
  await utimes(join(gitDir, `sharedindex.${index.sharedOid}`), now, now).catch(() => {});
}

function entryBytes(format: ObjectFormat, e: IndexEntry, st: BigIntStats, name: string): Buffer {
  const hs = hashSize(format);
  const nameBytes = Buffer.from(name, "utf8");
  const size = (40 + hs + 2 + nameBytes.length + 8) & ~7;
  const b = Buffer.alloc(size);
  const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));
  const ns = 1_000_000_000n;
  b.writeUInt32BE(u32(st.ctimeNs / ns), 0);
  b.writeUInt32BE(u32(st.ctimeNs % ns), 4);
  b.writeUInt32BE(u32(st.mtimeNs / ns), 8);
  b.writeUInt32BE(u32(st.mtimeNs % ns), 12);
  b.writeUInt32BE(u32(st.dev), 16);
  b.writeUInt32BE(u32(st.ino), 20);
  b.writeUInt32BE(e.mode, 24);
  b.writeUInt32BE(u32(st.uid), 28);
  b.writeUInt32BE(u32(st.gid), 32);
  b.writeUInt32BE(u32(st.size), 36);
  b.write(e.oid, 40, "hex");
  // A replacement is written nameless (length 0): git takes the name from the shared entry it replaces.
  b.writeUInt16BE(Math.min(nameBytes.length, 0xfff), 40 + hs);
  nameBytes.copy(b, 40 + hs + 2);
  return b;
}

/** git's EWAH bitmap (ewah_io.c): bit count, 64-bit words, position of the last run-length word. */
function readEwah(buf: Buffer, at: number): { bits: number[]; bytes: number } {
  const words = buf.readUInt32BE(at + 4);
  const bits: number[] = [];
  let pos = 0;
  let w = 0;
  while (w < words) {
    const rlw = buf.readBigUInt64BE(at + 8 + w * 8);
    const runLen = Number((rlw >> 1n) & 0xffffffffn);
    const literals = Number(rlw >> 33n);
    if ((rlw & 1n) === 1n) for (let k = 0; k < runLen * 64; k++) bits.push(pos + k);
    pos += runLen * 64;
    w++;
    for (let j = 0; j < literals; j++, w++) {
      const word = buf.readBigUInt64BE(at + 8 + w * 8);
      for (let bit = 0; bit < 64; bit++) if ((word >> BigInt(bit)) & 1n) bits.push(pos + bit);
      pos += 64;
    }
  }
  return { bits, bytes: 8 + words * 8 + 4 };
}

function writeEwah(sorted: number[]): Buffer {
  const words: bigint[] = [];
  let rlwAt = 0;
  if (sorted.length === 0) {
    words.push(0n);
  } else {
    const byWord = new Map<number, bigint>();
    for (const p of sorted) byWord.set(p >> 6, (byWord.get(p >> 6) ?? 0n) | (1n << BigInt(p & 63)));
    const idx = [...byWord.keys()].sort((a, b) => a - b);
    let next = 0;
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && (idx[j + 1] as number) === (idx[j] as number) + 1) j++;
      const run = (idx[i] as number) - next;
      rlwAt = words.length;
      words.push((BigInt(j - i + 1) << 33n) | (BigInt(run) << 1n));
      for (let k = i; k <= j; k++) words.push(byWord.get(idx[k] as number) as bigint);
      next = (idx[j] as number) + 1;
      i = j + 1;
    }
  }
  const b = Buffer.alloc(8 + words.length * 8 + 4);
  b.writeUInt32BE(sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number) + 1, 0);
  b.writeUInt32BE(words.length, 4);
  for (const [i, w] of words.entries()) b.writeBigUInt64BE(w, 8 + i * 8);
  b.writeUInt32BE(rlwAt, 8 + words.length * 8);
  return b;
}
