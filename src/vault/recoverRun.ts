import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "./sealRoot.ts";
import { listFiles, RUNS, readSeal, runFolders, SEAL_FILE, type SealJson } from "./vaultFiles.ts";
import type { VaultRepo } from "./vaultRepo.ts";
import { verifyFolder } from "./verifyVault.ts";

/** What Vault.recoverRun found of a run whose process stopped before RUN_SEALED, and did about it. */
export type RunRecovery =
  | { state: "committed"; relPath: string; commit: string; seal?: SealJson }
  | { state: "sealed-late"; relPath: string; commit: string; seal: SealJson }
  | { state: "incomplete"; relPath: string; files: { path: string; sha256: string; bytes: number }[] }
  | { state: "absent" };

/** See Vault.recoverRun; called with the vault lock held. */
export async function recoverRunFolder(repo: VaultRepo, runId: string, stack: string): Promise<RunRecovery> {
  const suffix = `-${stack}-${runId.slice(0, 8)}`;
  const committed = await repo.committedRuns();
  const onDisk = await runFolders(repo.dir);
  const folder = [...new Set([...committed.keys(), ...onDisk])].find((f) => f.endsWith(suffix));
  if (folder === undefined) return { state: "absent" };
  const relPath = `${RUNS}/${folder}`;
  if (committed.get(folder)?.has(SEAL_FILE)) {
    const commit = await repo.lastCommitOf(relPath);
    const { seal } = await readSeal(repo.dir, folder);
    return { state: "committed", relPath, commit, ...(seal ? { seal } : {}) };
  }
  const read = await readSeal(repo.dir, folder);
  const report = await verifyFolder(repo.dir, folder, read, committed);
  const onlyUncommitted =
    report.changed.length === 0 &&
    report.missing.length === 0 &&
    report.extra.length === 0 &&
    !report.rootMismatch &&
    read.seal?.runId === runId;
  if (read.seal && onlyUncommitted) {
    const seal = read.seal;
    await repo.stage([relPath], `stage ${relPath}`);
    const commit = await repo.commit(
      `seal (late): ${seal.stack} run ${seal.runId.slice(0, 8)} root ${seal.root.slice(0, 16)}`,
      [
        `run: ${seal.runId}`,
        `stack: ${seal.stack}`,
        `folder: ${relPath}`,
        `root: ${seal.root}`,
        `files: ${seal.files.length}`,
        `sealed: ${seal.sealedAtUtc} (${seal.sealedAtCt}); committed late, after the sealing process stopped`,
      ].join("\n"),
    );
    return { state: "sealed-late", relPath, commit, seal };
  }
  const base = join(repo.dir, RUNS, folder);
  const files = await Promise.all(
    (await listFiles(base)).map(async (path) => {
      const bytes = await readFile(join(base, path));
      return { path, sha256: sha256Hex(bytes), bytes: bytes.length };
    }),
  );
  await repo.unstage(relPath);
  await rm(base, { recursive: true, force: true });
  return { state: "incomplete", relPath, files };
}
