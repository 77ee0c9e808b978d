import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { CodexError } from "../core/CodexError.ts";

/**
 * Git objects written and read without a git process per object: loose objects are zlib files named by
 * their hash, the same bytes `git hash-object -w` writes, so `git fsck` and every git reader accept them.
 */

export type ObjectFormat = "sha1" | "sha256";

export interface TreeEntry {
  /** As git writes it: "100644", "100755", "120000", "160000" or "40000" for a tree. */
  mode: string;
  name: string;
  /** Hex object id. */
  oid: string;
}

export function hashObject(format: ObjectFormat, type: string, body: Uint8Array): string {
  return createHash(format).update(`${type} ${body.length}\0`).update(body).digest("hex");
}

/** Writes a loose object (unless git already has it loose) and returns its id. */
export async function writeLooseObject(
  gitDir: string,
  format: ObjectFormat,
  type: string,
  body: Uint8Array,
  known?: Set<string>,
): Promise<string> {
  const oid = hashObject(format, type, body);
  if (known?.has(oid)) return oid;
  const dir = join(gitDir, "objects", oid.slice(0, 2));
  const file = join(dir, oid.slice(2));
  // Level 1: objects are packed (and recompressed) by gc later; a seal should not wait on zlib.
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
  // Stored, not compressed, past 256 KB (the runs/ tree of a large vault): gc compresses it later.
  const data = deflateSync(raw, { level: raw.length > 262_144 ? 0 : 1 });
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `tmp_obj_${randomBytes(6).toString("hex")}`);
  await writeFile(tmp, data, { mode: 0o444 });
  // link() fails if the object exists: it is the same bytes, so either way the object is there.
  await link(tmp, file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
  await rm(tmp, { force: true });
  known?.add(oid);
  return oid;
}

/** Git's tree order: byte order of names, a tree's name compared as if it ended in '/'. */
function treeKey(e: TreeEntry): Buffer {
  return Buffer.from(e.mode === "40000" ? `${e.name}/` : e.name, "utf8");
}

export function serializeTree(entries: Iterable<TreeEntry>): Buffer {
  const sorted = [...entries].map((e) => ({ e, k: treeKey(e) })).sort((a, b) => Buffer.compare(a.k, b.k));
  const parts: Buffer[] = [];
  for (const { e } of sorted) {
    parts.push(Buffer.from(`${e.mode} ${e.name}\0`, "utf8"), Buffer.from(e.oid, "hex"));
  }
  return Buffer.concat(parts);
}

export function parseTree(body: Buffer, format: ObjectFormat): Map<string, TreeEntry> {
  const size = format === "sha1" ? 20 : 32;
  const out = new Map<string, TreeEntry>();
  let at = 0;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const nul = body.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 1 + size > body.length) {
      throw new CodexError("VAULT_BROKEN", "a tree object in the vault is malformed", {
        hint: "run git fsck in MAOS_HOME/vault",
      });
    }
    const mode = body.toString("latin1", at, space);
    const name = body.toString("utf8", space + 1, nul);
    out.set(name, { mode, name, oid: body.toString("hex", nul + 1, nul + 1 + size) });
    at = nul + 1 + size;
  }
  return out;
}

/**
 * Reads objects through one `git cat-file --batch` (packed or loose alike): each name may be an id or
 * `<commit>:<path>`. Absent objects map to undefined.
 */
export function readObjects(
  dir: string,
  env: NodeJS.ProcessEnv,
  names: string[],
): Promise<Map<string, { oid: string; type: string; body: Buffer } | undefined>> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(
          new CodexError("VAULT_BROKEN", `git cat-file failed in ${dir}: ${stderr.trim()}`, {
            hint: "check the vault's git repository under MAOS_HOME/vault (git fsck)",
          }),
        );
        return;
      }
      const out = Buffer.concat(chunks);
      const found = new Map<string, { oid: string; type: string; body: Buffer } | undefined>();
      let at = 0;
      for (const name of names) {
        const nl = out.indexOf(0x0a, at);
        const header = out.toString("utf8", at, nl).split(" ");
        at = nl + 1;
        if (header[1] === "missing" || header[1] === "ambiguous" || header.length !== 3) {
          found.set(name, undefined);
          continue;
        }
        const size = Number(header[2]);
        found.set(name, {
          oid: header[0] as string,
          type: header[1] as string,
          body: out.subarray(at, at + size),
        });
        at += size + 1;
      }
      resolve(found);
    });
    child.stdin.end(`${names.join("\n")}\n`);
  });
}

/**
 * A tree kept serialized, in git order, with each entry's sort key and offset (runs/, one entry per
 * sealed run): adding an entry is a binary search and one copy of the bytes, not a parse and a sort.
 */
export class SortedTree {
  /** Sort keys: the name's bytes as latin1 (so string order is byte order), a tree's ending in '/'. */
  readonly #keys: string[];
  /** Where each entry starts in #bytes. */
  readonly #starts: number[];
  readonly #bytes: Buffer;

  private constructor(keys: string[], starts: number[], bytes: Buffer) {
    this.#keys = keys;
    this.#starts = starts;
    this.#bytes = bytes;
  }

  static empty(): SortedTree {
    return new SortedTree([], [], Buffer.alloc(0));
  }

  static parse(body: Buffer, format: ObjectFormat): SortedTree {
    const size = format === "sha1" ? 20 : 32;
    const keys: string[] = [];
    const starts: number[] = [];
    let at = 0;
    while (at < body.length) {
      const space = body.indexOf(0x20, at);
      const nul = body.indexOf(0, space);
      if (space < 0 || nul < 0 || nul + 1 + size > body.length) {
        throw new CodexError("VAULT_BROKEN", "a tree object in the vault is malformed", {
          hint: "run git fsck in MAOS_HOME/vault",
        });
      }
      const isTree = space - at === 5 && body.toString("latin1", at, space) === "40000";
      keys.push(`${body.toString("latin1", space + 1, nul)}${isTree ? "/" : ""}`);
      starts.push(at);
      at = nul + 1 + size;
    }
    return new SortedTree(keys, starts, Buffer.from(body));
  }

  get size(): number {
    return this.#keys.length;
  }

  /** This tree with `e` added (or replacing the entry of the same name and kind). */
  with(e: TreeEntry): SortedTree {
    const key = `${Buffer.from(e.name, "utf8").toString("latin1")}${e.mode === "40000" ? "/" : ""}`;
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    const part = Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`, "utf8"), Buffer.from(e.oid, "hex")]);
    const replace = this.#keys[lo] === key ? 1 : 0;
    const from = this.#starts[lo] ?? this.#bytes.length;
    const to = replace ? (this.#starts[lo + 1] ?? this.#bytes.length) : from;
    const bytes = Buffer.concat([this.#bytes.subarray(0, from), part, this.#bytes.subarray(to)]);
    const shift = part.length - (to - from);
    const keys = [...this.#keys];
    keys.splice(lo, replace, key);
    const starts = this.#starts.slice(0, lo);
    starts.push(from);
    for (let k = lo + replace; k < this.#starts.length; k++) starts.push((this.#starts[k] as number) + shift);
    return new SortedTree(keys, starts, bytes);
  }

  serialize(): Buffer {
    return this.#bytes;
  }
}
