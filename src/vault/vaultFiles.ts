import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import { CodexError } from "../core/CodexError.ts";
import { gitErrorText } from "./gitClient.ts";
import { comparePaths } from "./sealRoot.ts";

/** What the vault's files look like on disk and in HEAD: shared by sealing, verification and recovery. */

export interface SealJson {
  version: 1;
  runId: string;
  stack: string;
  sealedAtUtc: string;
  sealedAtCt: string;
  /** Sorted by path; every file in the folder except SEAL.json. */
  files: { path: string; sha256: string; bytes: number }[];
  /** Hex RFC 6962 Merkle root over the leaves `${path}\n${sha256}`, in file order. */
  root: string;
  ledger: { size: number; head: string; root: string; checkpoint: string };
}

/** A run folder's SEAL.json as read from the working tree: parsed, or why not. */
export interface SealRead {
  seal?: SealJson;
  raw?: Buffer;
  error?: string;
}

export const RUNS = "runs";
export const CHECKPOINTS = "checkpoints";
export const SEAL_FILE = "SEAL.json";
const HEX64 = /^[0-9a-f]{64}$/;

export async function runGit(git: SimpleGit, args: string[], what: string): Promise<string> {
  try {
    return await git.raw(args);
  } catch (cause) {
    const text = gitErrorText(cause);
    const missingGit = /ENOENT|spawn git/.test(text);
    throw new CodexError("VAULT_BROKEN", `could not ${what}: ${text}`, {
      hint: missingGit
        ? "install git (the vault under MAOS_HOME/vault is a git repository)"
        : "check the vault's git repository under MAOS_HOME/vault",
      cause,
    });
  }
}

export async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

export function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === "string" ? Buffer.from(content, "utf8") : content;
}

/** Files (anything but a directory) below `base`, as sorted `/`-separated relative paths. */
export async function listFiles(base: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(base, "");
  return out.sort(comparePaths);
}

/** Run folders in the working tree, sorted. */
export async function runFolders(vaultDir: string): Promise<string[]> {
  const entries = await readdir(join(vaultDir, RUNS), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(comparePaths);
}

/**
 * Every file of every run folder in HEAD (or the commit `at`): folder → (path inside the folder → blob
 * id). One git process; none when the vault has no commit (`hasHead` false).
 */
export async function committedRuns(
  git: SimpleGit,
  hasHead: boolean,
  at?: string,
): Promise<Map<string, Map<string, string>>> {
  const runs = new Map<string, Map<string, string>>();
  if (!hasHead) return runs;
  const out = await runGit(git, ["ls-tree", "-r", "-z", at ?? "HEAD", "--", `${RUNS}/`], "list sealed runs");
  for (const record of out.split("\0")) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const blob = record.slice(0, tab).split(" ")[2];
    const [top, folder, ...rest] = record.slice(tab + 1).split("/");
    if (top !== RUNS || !folder || rest.length === 0 || !blob) continue;
    const files = runs.get(folder) ?? new Map<string, string>();
    runs.set(folder, files);
    files.set(rest.join("/"), blob);
  }
  return runs;
}

export async function readSeal(vaultDir: string, folder: string): Promise<SealRead> {
  const raw = await readFile(join(vaultDir, RUNS, folder, SEAL_FILE)).catch(() => undefined);
  if (!raw) return { error: `${SEAL_FILE} is missing` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    return { raw, error: `${SEAL_FILE} is not valid JSON: ${(err as Error).message}` };
  }
  const problem = sealProblem(parsed);
  return problem ? { raw, error: `${SEAL_FILE} ${problem}` } : { raw, seal: parsed as SealJson };
}

export interface SealedRunSummary {
  folder: string;
  runId: string;
  stack: string;
  sealedAtUtc: string;
  root: string;
}

/** Sealed runs in the working tree, oldest folder first; folders without a readable SEAL.json are skipped. */
export async function listSealedRuns(
  vaultDir: string,
  log?: { warn(o: object, m?: string): void },
): Promise<SealedRunSummary[]> {
  const out: SealedRunSummary[] = [];
  for (const folder of await runFolders(vaultDir)) {
    const { seal, error } = await readSeal(vaultDir, folder);
    if (!seal) {
      log?.warn({ folder, error }, "vault: run folder without a readable seal");
      continue;
    }
    out.push({
      folder,
      runId: seal.runId,
      stack: seal.stack,
      sealedAtUtc: seal.sealedAtUtc,
      root: seal.root,
    });
  }
  return out;
}

/**
 * Every SEAL.json's ledger.checkpoint plus every file under checkpoints/, oldest first: ordered by
 * the ledger size on the note's second line (the ledger only grows), then by seal time or file
 * name. The same note met twice (a seal and a checkpoint file) is returned once.
 */
export async function readCheckpointNotes(vaultDir: string): Promise<string[]> {
  const found: { text: string; size: number; tie: string }[] = [];
  for (const folder of await runFolders(vaultDir)) {
    const { seal } = await readSeal(vaultDir, folder);
    if (!seal || seal.ledger.checkpoint === "") continue;
    found.push({
      text: seal.ledger.checkpoint,
      size: noteSize(seal.ledger.checkpoint) ?? seal.ledger.size,
      tie: seal.sealedAtUtc,
    });
  }
  for (const path of await listFiles(join(vaultDir, CHECKPOINTS))) {
    const text = await readFile(join(vaultDir, CHECKPOINTS, path), "utf8");
    found.push({ text, size: noteSize(text) ?? Number.POSITIVE_INFINITY, tie: path });
  }
  found.sort((a, b) => a.size - b.size || comparePaths(a.tie, b.tie));
  const seen = new Set<string>();
  return found.filter((c) => !seen.has(c.text) && seen.add(c.text)).map((c) => c.text);
}

/** Ledger size from a signed note's second line (origin, size, root hash, …), if it has one. */
function noteSize(note: string): number | undefined {
  const line = note.split("\n")[1];
  return line !== undefined && /^\d{1,15}$/.test(line) ? Number(line) : undefined;
}

/** Why a parsed SEAL.json is not a SealJson (its shape only; the hashes are checked by verify). */
function sealProblem(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null) return "is not a JSON object";
  const s = v as Record<string, unknown>;
  if (s.version !== 1) return `has version ${JSON.stringify(s.version)}, expected 1`;
  for (const key of ["runId", "stack", "sealedAtUtc", "sealedAtCt", "root"]) {
    if (typeof s[key] !== "string") return `lacks the string field ${key}`;
  }
  if (!HEX64.test(s.root as string)) return "has a root that is not 64 hex digits";
  if (!Array.isArray(s.files)) return "lacks the files list";
  for (const f of s.files as unknown[]) {
    const file = f as Record<string, unknown> | null;
    if (
      typeof file !== "object" ||
      file === null ||
      typeof file.path !== "string" ||
      typeof file.sha256 !== "string" ||
      !HEX64.test(file.sha256) ||
      typeof file.bytes !== "number"
    ) {
      return `has a malformed files entry ${JSON.stringify(f)}`;
    }
  }
  const ledger = s.ledger as Record<string, unknown> | null;
  if (
    typeof ledger !== "object" ||
    ledger === null ||
    typeof ledger.size !== "number" ||
    typeof ledger.head !== "string" ||
    typeof ledger.root !== "string" ||
    typeof ledger.checkpoint !== "string"
  ) {
    return "has a malformed ledger block";
  }
  return undefined;
}
