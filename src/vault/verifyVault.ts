import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import { comparePaths, sealRoot, sha256Hex } from "./sealRoot.ts";
import {
  committedRuns,
  listFiles,
  RUNS,
  readSeal,
  runFolders,
  SEAL_FILE,
  type SealJson,
  type SealRead,
} from "./vaultFiles.ts";

/** Verification of sealed run folders against their SEAL.json and HEAD (Vault.verify and verifyChanged). */

export interface VaultVerifyReport {
  ok: boolean;
  runs: {
    folder: string;
    ok: boolean;
    changed: string[];
    missing: string[];
    extra: string[];
    rootMismatch: boolean;
    sealError?: string;
  }[];
}

export type VaultRunReport = VaultVerifyReport["runs"][number];

/** What verification reads: the vault's folder, a git client in it and whether it has a commit yet. */
export interface VaultReader {
  dir: string;
  git: SimpleGit;
  hasHead: boolean;
}

/**
 * Re-hashes sealed run folders (all when no id is given; an id may be the full run id, its 8-char
 * short id or the folder name) against their SEAL.json, and each SEAL.json against the one in HEAD.
 */
export async function verifyRuns(v: VaultReader, runIds?: string[]): Promise<VaultVerifyReport> {
  const committed = await committedRuns(v.git, v.hasHead);
  const onDisk = await runFolders(v.dir);
  const folders = [...new Set([...onDisk, ...committed.keys()])].sort(comparePaths);
  const seals = new Map<string, SealRead>();
  await Promise.all(folders.map(async (f) => seals.set(f, await readSeal(v.dir, f))));

  const runs: VaultRunReport[] = [];
  if (runIds === undefined || runIds.length === 0) {
    for (const folder of folders) runs.push(await verifyFolder(v.dir, folder, seals.get(folder), committed));
  } else {
    const chosen = new Set<string>();
    for (const id of runIds) {
      const matches = folders.filter((f) => matchesRun(f, seals.get(f)?.seal, id));
      if (matches.length === 0) {
        runs.push({
          folder: id,
          ok: false,
          changed: [],
          missing: [],
          extra: [],
          rootMismatch: false,
          sealError: `no sealed run matches ${JSON.stringify(id)} under ${RUNS}/`,
        });
      }
      for (const folder of matches) {
        if (chosen.has(folder)) continue;
        chosen.add(folder);
        runs.push(await verifyFolder(v.dir, folder, seals.get(folder), committed));
      }
    }
  }
  return { ok: runs.every((r) => r.ok), runs };
}

/** See Vault.verifyChanged. */
export async function verifyChangedRuns(
  v: VaultReader,
  verified: ReadonlyMap<string, string>,
): Promise<{ report: VaultVerifyReport; verified: Map<string, string> }> {
  const committed = await committedRuns(v.git, v.hasHead);
  const onDisk = new Set(await runFolders(v.dir));
  const folders = [...new Set([...onDisk, ...committed.keys()])].sort(comparePaths);
  const next = new Map<string, string>();
  const runs: VaultRunReport[] = [];
  for (const folder of folders) {
    const inHead = committed.get(folder);
    const digest = inHead ? treeDigest(inHead) : undefined;
    if (digest !== undefined && onDisk.has(folder) && verified.get(folder) === digest) {
      runs.push({ folder, ok: true, changed: [], missing: [], extra: [], rootMismatch: false });
      next.set(folder, digest);
      continue;
    }
    const report = await verifyFolder(v.dir, folder, await readSeal(v.dir, folder), committed);
    runs.push(report);
    if (report.ok && digest !== undefined) next.set(folder, digest);
  }
  return { report: { ok: runs.every((r) => r.ok), runs }, verified: next };
}

/** One run folder: its files against its SEAL.json, and that SEAL.json against HEAD's copy. */
export async function verifyFolder(
  vaultDir: string,
  folder: string,
  read: SealRead | undefined,
  committed: Map<string, Map<string, string>>,
): Promise<VaultRunReport> {
  const report: VaultRunReport = {
    folder,
    ok: false,
    changed: [],
    missing: [],
    extra: [],
    rootMismatch: false,
  };
  const base = join(vaultDir, RUNS, folder);
  const inHead = committed.get(folder);
  const onDisk = await listFiles(base);
  const problems: string[] = [];

  if (onDisk.length === 0 && inHead) {
    report.missing = [...inHead.keys()].sort(comparePaths);
    report.sealError = `the run folder is gone from the working tree (it is committed in HEAD)`;
    return report;
  }
  if (!read?.seal) {
    if (read?.raw === undefined) report.missing.push(SEAL_FILE);
    report.sealError = read?.error ?? `${SEAL_FILE} is missing`;
    return report;
  }
  const seal = read.seal;

  const sealed = new Map(seal.files.map((f) => [f.path, f]));
  const present = new Set(onDisk.filter((p) => p !== SEAL_FILE));
  await Promise.all(
    seal.files.map(async (f) => {
      if (!present.has(f.path)) return;
      const bytes = await readFile(join(base, f.path));
      if (bytes.length !== f.bytes || sha256Hex(bytes) !== f.sha256) report.changed.push(f.path);
    }),
  );
  report.changed.sort(comparePaths);
  report.missing = seal.files.filter((f) => !present.has(f.path)).map((f) => f.path);
  report.extra = [...present].filter((p) => !sealed.has(p)).sort(comparePaths);
  report.rootMismatch = sealRoot(seal.files) !== seal.root;

  // An edited SEAL.json can be internally consistent; HEAD's copy is what was sealed.
  const headSeal = inHead?.get(SEAL_FILE);
  if (headSeal === undefined) {
    problems.push(`${SEAL_FILE} is not committed in the vault's history`);
  } else if (read.raw && gitBlobId(read.raw, headSeal.length) !== headSeal) {
    report.rootMismatch = true;
    problems.push(`${SEAL_FILE} differs from the copy committed in HEAD`);
  }
  if (!folder.endsWith(`-${seal.stack}-${seal.runId.slice(0, 8)}`)) {
    problems.push(`${SEAL_FILE} names run ${seal.runId} of stack ${seal.stack}, not this folder's`);
  }
  if (problems.length > 0) report.sealError = problems.join("; ");
  report.ok =
    report.changed.length === 0 &&
    report.missing.length === 0 &&
    report.extra.length === 0 &&
    !report.rootMismatch &&
    report.sealError === undefined;
  return report;
}

/** One hash of a run folder's files as HEAD holds them: each path and its blob id, in path order. */
function treeDigest(files: ReadonlyMap<string, string>): string {
  const h = createHash("sha256");
  for (const path of [...files.keys()].sort(comparePaths)) h.update(JSON.stringify([path, files.get(path)]));
  return h.digest("hex");
}

/** Git's object id of a blob: sha1 (40 hex) or sha256 (64 hex) over `blob <len>\0<bytes>`. */
export function gitBlobId(bytes: Uint8Array, idLength: number): string {
  const hash = createHash(idLength === 64 ? "sha256" : "sha1");
  return hash.update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function matchesRun(folder: string, seal: SealJson | undefined, id: string): boolean {
  if (folder === id || seal?.runId === id) return true;
  return id.length === 8 && (seal ? seal.runId.slice(0, 8) === id : folder.endsWith(`-${id}`));
}
