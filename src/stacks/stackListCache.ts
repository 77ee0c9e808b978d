import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { findPackageJSON } from "node:module";
import path from "node:path";
import type { CodexError } from "../core/CodexError.ts";
import { readCapped } from "../core/readCapped.ts";
import { scanStacks } from "./scanStacks.ts";
import { type StackListing, stackListing } from "./stackListing.ts";

/**
 * The code that turns a stack file's bytes into its listing (relative to this folder): a change to any
 * of these files, or to zod's or yaml's version, empties the cache. stackListCache.test holds this list
 * to what these modules import.
 */
export const LISTING_SOURCES = [
  "stackListCache.ts",
  "scanStacks.ts",
  "loadStacks.ts",
  "stackListing.ts",
  "loadStackFile.ts",
  "validateStack.ts",
  "stackSchema.ts",
  "executionOrder.ts",
  "template.ts",
  "../core/YamlSource.ts",
  "../core/readCapped.ts",
  "../core/problems.ts",
  "../core/zodProblems.ts",
  "../core/closestMatch.ts",
  "../core/cronProblem.ts",
  "../core/CodexError.ts",
];
export const LISTING_PACKAGES = ["croner", "yaml", "zod"];

/** Under MAOS_HOME. */
export const STACK_LIST_CACHE = path.join("cache", "stack-listings.json");

interface CacheFile {
  version: 1;
  /** SHA-256 of LISTING_SOURCES and LISTING_PACKAGES' package.json files. */
  code: string;
  /** By absolute file path: the SHA-256 of the bytes that validated, and their listing. */
  files: Record<string, { sha256: string; listing: StackListing }>;
}

const MISS = Symbol("not in the cache");

/**
 * The stacks folder's listings. Loading zod and the YAML parser to validate the files was most of
 * `maos stacks list`'s start, so the listings of files that validated are kept under MAOS_HOME, keyed
 * by the SHA-256 of each file's bytes and of the validating code. A file whose bytes (or the code) are
 * not the ones kept, or any file that does not validate, sends the whole folder through the validator
 * (loadStacks), which also reports every error afresh: a changed or invalid stack is never shown stale.
 * The cache is written only into an existing home; a cache that cannot be read or written is ignored.
 */
export async function listStackListings(
  dir: string,
  home: string,
): Promise<{ stacks: StackListing[]; errors: CodexError[] }> {
  const cacheFile = path.join(home, STACK_LIST_CACHE);
  const code = codeHash();
  const cache = code === undefined ? undefined : readCache(cacheFile, code);
  if (cache) {
    try {
      return scanStacks(
        dir,
        (file) => {
          let bytes: Uint8Array;
          try {
            bytes = readCapped(file);
          } catch {
            throw MISS;
          }
          const kept = cache.files[file];
          if (kept?.sha256 !== sha256(bytes)) throw MISS;
          return kept.listing;
        },
        (err) => err === MISS,
      );
    } catch (err) {
      if (err !== MISS) throw err;
    }
  }
  const { loadStacks } = await import("./loadStacks.ts");
  const { stacks, errors } = loadStacks(dir);
  if (code !== undefined && existsSync(home)) {
    const files: CacheFile["files"] = {};
    for (const s of stacks) files[s.file] = { sha256: s.hash, listing: stackListing(s) };
    writeCache(cacheFile, { version: 1, code, files });
  }
  return { stacks: stacks.map(stackListing), errors };
}

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function codeHash(): string | undefined {
  try {
    const h = createHash("sha256");
    for (const rel of LISTING_SOURCES)
      h.update(rel).update(readFileSync(path.join(import.meta.dirname, rel)));
    for (const pkg of LISTING_PACKAGES) {
      const json = findPackageJSON(pkg, import.meta.url);
      if (!json) return undefined;
      h.update(pkg).update(readFileSync(json));
    }
    return h.digest("hex");
  } catch {
    return undefined;
  }
}

function readCache(file: string, code: string): CacheFile | undefined {
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as Partial<CacheFile>;
    if (c.version !== 1 || c.code !== code || typeof c.files !== "object" || c.files === null)
      return undefined;
    return c as CacheFile;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, cache: CacheFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(cache));
    // A reader sees the old file or the new one, never half of one.
    renameSync(tmp, file);
  } catch {
    // A read-only home lists the stacks all the same, validating them each time.
  }
}
