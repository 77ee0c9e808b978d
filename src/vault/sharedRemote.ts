import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { gitEnv, redactUrlCredentials } from "./gitClient.ts";
import { headFromFiles } from "./headFromFiles.ts";
import { CHECKPOINTS, RUNS } from "./vaultFiles.ts";
import { pushWithRetry } from "./vaultUpkeep.ts";

/**
 * Several replicas (each its own MAOS_HOME and vault clone) sealing into one remote, MAOS_VAULT_REMOTE:
 * `lock` runs its function while no other replica runs one (a PostgreSQL advisory lock, say). Under it
 * each vault write fetches the remote, fast-forwards to it, commits and pushes, so the remote holds one
 * linear history of every replica's seals.
 */
export interface SharedSealing {
  lock<T>(fn: () => Promise<T>): Promise<T>;
  /** `lock` only if it is free now (for Vault.ifFree: a heartbeat never waits for another replica's seal). */
  tryLock?<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
}

/** Where the remote's branches are fetched to (never pushed, never the remote's URL in .git/config). */
const TRACKING = "refs/remotes/maos-shared";

/** `details` of the error a write fails with when MAOS_VAULT_REMOTE cannot be fetched or pushed. */
export interface RemoteUnreachableDetails {
  vaultRemote: "unreachable";
  /** A complete run folder left on disk, uncommitted, for a late seal (reconcileRuns). */
  keptRunFolder?: string;
}

export function isRemoteUnreachable(err: unknown): err is CodexError & { details: RemoteUnreachableDetails } {
  return (
    err instanceof CodexError &&
    (err.details as Partial<RemoteUnreachableDetails> | undefined)?.vaultRemote === "unreachable"
  );
}

/** A CodexError for an unreachable remote, naming MAOS_VAULT_REMOTE (its credentials masked). */
export function remoteUnreachable(what: string, remote: string, error: string): CodexError {
  const details: RemoteUnreachableDetails = { vaultRemote: "unreachable" };
  return new CodexError(
    "VAULT_BROKEN",
    `could not ${what}: MAOS_VAULT_REMOTE (${redactUrlCredentials(remote)}) refused or did not answer: ${redactUrlCredentials(error.trim())}`,
    {
      hint: "check that MAOS_VAULT_REMOTE is reachable from this replica (network, credentials, the shared volume); nothing was committed, and no replica's history diverges",
      details,
    },
  );
}

/**
 * The git side of shared sealing for one vault clone. Callers hold the vault's local lock (and, for a
 * write, the cluster lock); this class only fetches, fast-forwards, pushes and undoes.
 */
export class SharedRemote {
  readonly #dir: string;
  readonly #gitDir: string;
  readonly #remote: string;

  constructor(dir: string, gitDir: string, remote: string) {
    this.#dir = dir;
    this.#gitDir = gitDir;
    this.#remote = remote;
  }

  /**
   * Fetches the remote and fast-forwards the branch, the index and the working tree to it: run folders
   * sealed by other replicas are checked out (the full custody pass runs git status over them). Local
   * documents not yet committed (checkpoints/, the wisdom log's staged lines) are carried over: a
   * checkpoint note keeps the larger ledger size, appended lines go after the remote's. A fresh vault
   * (no HEAD) adopts the remote's history. Returns the paths to stage again (documents outside
   * checkpoints/), and whether HEAD has no commit and the remote none either (the caller initialises).
   * A local history the remote does not contain, and that does not contain the remote's, is refused.
   */
  async catchUp(): Promise<{ restage: string[]; empty: boolean }> {
    const branch = await this.#branch();
    const fetched = await this.#git([
      "fetch",
      "--quiet",
      "--no-tags",
      "--prune",
      "--",
      this.#remote,
      `+refs/heads/*:${TRACKING}/*`,
    ]);
    if (fetched.code !== 0) throw remoteUnreachable("fetch the shared vault", this.#remote, fetched.stderr);
    const theirs = await this.#rev(`${TRACKING}/${branch}`);
    const ours = await this.#head();
    if (theirs === undefined) return { restage: [], empty: ours === undefined };
    if (ours === undefined) {
      // A fresh clone: its folder is empty but for .git (initRepository), so nothing is overwritten.
      await this.#must(["update-ref", `refs/heads/${branch}`, theirs], "adopt the shared vault's history");
      await this.#must(["read-tree", "--reset", "-u", theirs], "check out the shared vault");
      return { restage: [], empty: false };
    }
    if (ours === theirs || (await this.#isAncestor(theirs, ours))) return { restage: [], empty: false };
    if (!(await this.#isAncestor(ours, theirs))) {
      throw new CodexError(
        "VAULT_BROKEN",
        `the vault at ${this.#dir} (HEAD ${ours.slice(0, 12)}) and MAOS_VAULT_REMOTE (${redactUrlCredentials(this.#remote)}, ${branch} at ${theirs.slice(0, 12)}) have diverged`,
        {
          hint: "replicas sharing a vault commit only through the shared path; move this replica's MAOS_HOME/vault aside (keep it for review) and start again: an empty vault folder takes the remote's history",
        },
      );
    }
    return { restage: await this.#fastForward(branch, ours, theirs), empty: false };
  }

  /**
   * Pushes HEAD to the remote (retries as pushWithRetry does). When it cannot, the commits since `prev`
   * are undone (branch and index back to `prev`, the working tree untouched), so no replica's history
   * can diverge from the remote's, and the error names MAOS_VAULT_REMOTE. Returns the documents to stage
   * again after an undo (they were in the undone commit).
   */
  async publish(o: {
    prev: string | undefined;
    attempts: number;
    clock: Clock;
    what: string;
    log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  }): Promise<{ pushed: true } | { pushed: false; error: CodexError; restage: string[] }> {
    const result = await pushWithRetry({
      dir: this.#dir,
      remote: this.#remote,
      attempts: o.attempts,
      clock: o.clock,
      ...(o.log ? { log: o.log } : {}),
    });
    if (result.pushed) return { pushed: true };
    const branch = await this.#branch();
    if (o.prev === undefined) {
      await this.#must(
        ["update-ref", "-d", `refs/heads/${branch}`],
        "undo the vault's unpublished first commit",
      );
      await this.#must(["read-tree", "--empty"], "undo the vault's unpublished first commit");
    } else {
      await this.#must(["reset", "--quiet", o.prev, "--"], "undo the vault's unpublished commit");
    }
    return {
      pushed: false,
      error: remoteUnreachable(o.what, this.#remote, result.error ?? "push failed"),
      restage: (await this.#pending())
        .filter((p) => !p.path.startsWith(`${CHECKPOINTS}/`))
        .map((p) => p.path),
    };
  }

  async #fastForward(branch: string, ours: string, theirs: string): Promise<string[]> {
    // Documents outside runs/ that differ from HEAD are set aside, so the two-way read-tree meets a clean
    // tree there, then written back merged.
    const pending = await this.#pending();
    const kept: { path: string; bytes: Buffer | undefined; base: Buffer | undefined }[] = [];
    for (const p of pending) {
      const abs = join(this.#dir, p.path);
      kept.push({
        path: p.path,
        bytes: await readFile(abs).catch(() => undefined),
        base: await this.#blob(ours, p.path),
      });
    }
    const inOurs = kept.filter((k) => k.base !== undefined).map((k) => k.path);
    const notInOurs = kept.filter((k) => k.base === undefined).map((k) => k.path);
    if (inOurs.length > 0) {
      await this.#must(
        ["checkout", "--quiet", ours, "--", ...inOurs],
        "set aside the vault's pending documents",
      );
    }
    if (notInOurs.length > 0) {
      await this.#must(
        ["rm", "--cached", "--quiet", "--ignore-unmatch", "--", ...notInOurs],
        "set aside the vault's pending documents",
      );
      for (const path of notInOurs) await rm(join(this.#dir, path), { force: true });
    }
    const merged = await this.#git(["read-tree", "-m", "-u", ours, theirs]);
    if (merged.code !== 0) {
      // A fast-forward cut short (its holder died between checking out and moving the branch, and
      // recoverIndex unstaged runs/) left the remote's run folders untracked: the same bytes, so
      // overwriting them loses nothing. Files both commits have are not rewritten, so an edit of a
      // sealed run in the working tree stays for the full custody pass to see.
      await this.#must(
        ["read-tree", "--reset", "-u", ours, theirs],
        "fast-forward the vault to MAOS_VAULT_REMOTE",
      );
    }
    await this.#must(
      ["update-ref", "-m", "vault: fast-forward to MAOS_VAULT_REMOTE", `refs/heads/${branch}`, theirs, ours],
      "fast-forward the vault to MAOS_VAULT_REMOTE",
    );
    const restage: string[] = [];
    for (const k of kept) {
      if (k.bytes === undefined) continue;
      const remote = await this.#blob(theirs, k.path);
      const merged = mergeDocument(k.path, k.bytes, k.base, remote);
      const abs = join(this.#dir, k.path);
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, merged);
      if (!k.path.startsWith(`${CHECKPOINTS}/`) && !remote?.equals(merged)) {
        restage.push(k.path);
      }
    }
    return restage;
  }

  /** Paths outside runs/ whose working tree or index differs from HEAD, untracked ones included. */
  async #pending(): Promise<{ path: string; xy: string }[]> {
    const out = await this.#must(
      [
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--no-renames",
        "--",
        ".",
        `:(exclude)${RUNS}`,
      ],
      "list the vault's pending documents",
    );
    return out
      .split("\0")
      .filter((l) => l.length > 3)
      .map((l) => ({ xy: l.slice(0, 2), path: l.slice(3) }));
  }

  async #branch(): Promise<string> {
    const head = (await readFile(join(this.#gitDir, "HEAD"), "utf8").catch(() => "")).trim();
    if (!head.startsWith("ref: refs/heads/")) {
      throw new CodexError("VAULT_BROKEN", `the vault at ${this.#dir} has a detached HEAD`, {
        hint: "a shared vault commits on a branch; check out its branch (main) in MAOS_HOME/vault",
      });
    }
    return head.slice("ref: refs/heads/".length);
  }

  async #head(): Promise<string | undefined> {
    return (await headFromFiles(this.#gitDir)) ?? (await this.#rev("HEAD"));
  }

  async #rev(ref: string): Promise<string | undefined> {
    const r = await this.#git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
  }

  async #isAncestor(a: string, b: string): Promise<boolean> {
    return (await this.#git(["merge-base", "--is-ancestor", a, b])).code === 0;
  }

  async #blob(commit: string, path: string): Promise<Buffer | undefined> {
    const r = await this.#gitBytes(["cat-file", "blob", `${commit}:${path}`]);
    return r.code === 0 ? r.stdout : undefined;
  }

  async #must(args: string[], what: string): Promise<string> {
    const r = await this.#git(args);
    if (r.code !== 0) {
      throw new CodexError("VAULT_BROKEN", `could not ${what}: ${redactUrlCredentials(r.stderr.trim())}`, {
        hint: "check the vault's git repository under MAOS_HOME/vault",
      });
    }
    return r.stdout;
  }

  async #git(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const r = await this.#gitBytes(args);
    return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
  }

  #gitBytes(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn("git", args, { cwd: this.#dir, env: gitEnv(), stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      let err = "";
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => {
        err += c.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
    });
  }
}

/**
 * A document changed here and maybe on the remote since `base`: a checkpoint note keeps the larger
 * ledger size (the ledger only grows; both are signed); lines appended here go after the remote's; a
 * document the remote left alone keeps our version; otherwise ours wins (the next commit records it).
 */
export function mergeDocument(
  path: string,
  ours: Buffer,
  base: Buffer | undefined,
  theirs: Buffer | undefined,
): Buffer {
  if (theirs === undefined || (base !== undefined && theirs.equals(base))) return ours;
  if (path.startsWith(`${CHECKPOINTS}/`)) return noteSize(theirs) > noteSize(ours) ? theirs : ours;
  if (base !== undefined && ours.length >= base.length && ours.subarray(0, base.length).equals(base)) {
    return Buffer.concat([theirs, ours.subarray(base.length)]);
  }
  return ours;
}

function noteSize(note: Buffer): number {
  const size = Number(note.toString("utf8").split("\n")[1]);
  return Number.isSafeInteger(size) ? size : -1;
}

/** The same unreachable-remote error, naming a complete run folder kept on disk for a late seal. */
export function keepingRunFolder(err: CodexError, relPath: string): CodexError {
  return new CodexError(err.code, err.message, {
    hint: `nothing was committed; ${relPath} is kept in MAOS_HOME/vault and is sealed late (RUN_SEALED, late) at the next start of a process on this home once MAOS_VAULT_REMOTE is reachable`,
    details: { ...(err.details as RemoteUnreachableDetails), keptRunFolder: relPath },
    cause: err,
  });
}
