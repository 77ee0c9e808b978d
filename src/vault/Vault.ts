import { AsyncLocalStorage } from "node:async_hooks";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, lstat, mkdir, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { SimpleGit } from "simple-git";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { SerialQueue } from "../core/SerialQueue.ts";
import { chicagoIso, compactUtc, utcIso } from "../core/timestamps.ts";
import { gitClient, gitErrorText, redactUrlCredentials } from "./gitClient.ts";
import { headFromFiles } from "./headFromFiles.ts";
import { safeRelPath } from "./safeRelPath.ts";
import { comparePaths, sealRoot, sha256Hex } from "./sealRoot.ts";
import { prepareSshSigning, type SshSigningKey } from "./sshSigning.ts";
import { CrossProcessLock, gitProcessesIn } from "./VaultLock.ts";
import { VAULT_README } from "./vaultReadme.ts";

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

export interface SealedRun {
  runId: string;
  /** Absolute path of the run folder. */
  dir: string;
  /** The run folder relative to the vault, e.g. `runs/20261121T150000Z-marketing_ops-1a2b3c4d`. */
  relPath: string;
  commit: string;
  seal: SealJson;
  pushed: boolean | "no-remote";
}

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

export interface VaultLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export interface VaultOpenOptions {
  dir: string;
  clock: Clock;
  /** Path to an SSH private key: commits are signed with gpg.format=ssh. */
  signingKey?: string;
  /** URL or path pushed to after each seal; never written into .git/config (it may carry a token). */
  remote?: string;
  log?: VaultLog;
  /** Default 3. */
  pushAttempts?: number;
  /**
   * Awaited before every `commitFiles` (heartbeat checkpoints, snapshots, MVP seal documents): the app
   * records the signing key in the ledger there, so a process that commits without sealing a run still
   * records a change of key (or that signing is off) before its first commit.
   */
  beforeCommit?: () => Promise<void>;
}

export type VaultRunReport = VaultVerifyReport["runs"][number];

/** The newest signed ledger checkpoint, staged after each one so that the vault's next commit carries it. */
export const VAULT_CHECKPOINT_FILE = "checkpoints/latest.txt";
/** What Vault.recoverRun found of a run whose process stopped before RUN_SEALED, and did about it. */
export type RunRecovery =
  | { state: "committed"; relPath: string; commit: string; seal?: SealJson }
  | { state: "sealed-late"; relPath: string; commit: string; seal: SealJson }
  | { state: "incomplete"; relPath: string; files: { path: string; sha256: string; bytes: number }[] }
  | { state: "absent" };

const AUTHOR_NAME = "MAOS Codex";
const AUTHOR_EMAIL = "maos-codex@localhost";
const RUNS = "runs";
const CHECKPOINTS = "checkpoints";
const SEAL_FILE = "SEAL.json";
const ALLOWED_SIGNERS_FILE = "maos_allowed_signers";
/** Push backoff: 1 s, 2 s, 4 s, … capped at 30 s between attempts. */
const PUSH_BACKOFF_MS = 1_000;
const PUSH_BACKOFF_CAP_MS = 30_000;
/** simple-git kills a push that prints nothing for this long (a hung SSH or HTTP connection). */
const PUSH_SILENCE_LIMIT_MS = 120_000;
/** Stack names and run ids become folder names, so they are held to a portable file-name alphabet. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** gc.auto: loose objects before `git gc --auto` packs them (git's default, 6,700, is ~500 runs). */
const GC_AUTO_LOOSE = 1000;
/** Seals between two `git gc --auto` checks started by one process. */
const GC_EVERY_SEALS = 50;

/**
 * `MAOS_HOME/vault`: its own git repository of sealed run folders (`runs/<folder>/` + `SEAL.json`),
 * checkpoints and the other documents the bot preserves. Every stage-and-commit goes through one
 * queue, commits carry the injected clock's time, and pushes retry through the clock.
 */
export class Vault {
  readonly dir: string;
  /** The repository's git directory (`.git` inside `dir`, as git reports it). */
  get gitDir(): string {
    return this.#gitDir;
  }
  readonly #gitDir: string;
  readonly #clock: Clock;
  readonly #remote: string | undefined;
  readonly #log: VaultLog | undefined;
  readonly #pushAttempts: number;
  readonly #beforeCommit: (() => Promise<void>) | undefined;
  readonly #git: SimpleGit;
  readonly #commits = new SerialQueue();
  readonly #pushes = new SerialQueue();
  /** `<type> <base64>` of the SSH key commits are signed with, or null when they are unsigned. */
  signingPublicKey: string | null = null;
  readonly #lock: CrossProcessLock;
  /** Set inside #exclusive: nested vault calls run in the section already held. */
  readonly #inside = new AsyncLocalStorage<true>();
  /** Seals since the last `git gc --auto` this process started, and that process while it runs. */
  #sealsSinceGc = 0;
  #gc: ChildProcess | undefined;

  private constructor(dir: string, gitDir: string, opts: VaultOpenOptions, lock: CrossProcessLock) {
    this.dir = dir;
    this.#gitDir = gitDir;
    this.#clock = opts.clock;
    this.#remote = opts.remote === undefined || opts.remote === "" ? undefined : opts.remote;
    this.#log = opts.log;
    this.#pushAttempts = Math.max(1, Math.floor(opts.pushAttempts ?? 3));
    this.#beforeCommit = opts.beforeCommit;
    this.#git = gitClient(dir);
    this.#lock = lock;
  }

  static async open(opts: VaultOpenOptions): Promise<Vault> {
    const requested = resolve(opts.dir);
    await mkdir(requested, { recursive: true });
    const dir = await realpath(requested);
    const signing = opts.signingKey ? await prepareSshSigning(opts.signingKey) : undefined;
    // Processes sharing a home (the bot, CLI commands) take turns at the repository: creating it, its
    // index, its commits. The lock lives beside the vault folder, so an empty folder stays empty.
    const lock = new CrossProcessLock(join(dirname(dir), `.${basename(dir)}.lock`), "vault");
    const held = await lock.acquire();
    let vault: Vault;
    try {
      vault = await Vault.#openLocked(dir, opts, signing, lock);
      if (held.previousCrashed) await vault.#recoverIndex(held.previousCrashed);
      if ((await vault.headCommit()) === undefined) await vault.#initialCommit();
    } finally {
      await held.release();
    }
    opts.log?.info(
      { vault: dir, signed: signing !== undefined, remote: vault.#remote !== undefined },
      "vault: opened",
    );
    return vault;
  }

  static async #openLocked(
    dir: string,
    opts: VaultOpenOptions,
    signing: SshSigningKey | undefined,
    lock: CrossProcessLock,
  ): Promise<Vault> {
    const git = gitClient(dir);

    if (!(await exists(join(dir, ".git")))) {
      // Only an empty folder becomes a new vault: never adopt someone's files or another repo's subfolder.
      if ((await readdir(dir)).length > 0) {
        const outer = await toplevel(git);
        throw new CodexError(
          "CONFIG_INVALID",
          outer
            ? `vault folder ${dir} is inside the git repository ${outer} and is not empty`
            : `vault folder ${dir} is not empty and is not a git repository`,
          {
            hint: "point MAOS_HOME at a folder whose vault/ is empty or already a vault repository",
          },
        );
      }
      await runGit(git, ["init", "--initial-branch=main"], `git init in ${dir}`);
    }

    const lines = (
      await runGit(git, ["rev-parse", "--show-toplevel", "--absolute-git-dir"], `inspect ${dir}`)
    )
      .trim()
      .split("\n");
    const top = lines[0] ? await realpath(lines[0]).catch(() => lines[0]) : undefined;
    const gitDir = lines[1];
    if (top !== dir || !gitDir) {
      throw new CodexError("VAULT_BROKEN", `vault folder ${dir} is not the top of its own git repository`, {
        hint: `git reports the repository top as ${top ?? "unknown"}; the vault must be its own repository so its commits never land in another one (check MAOS_HOME)`,
      });
    }

    const vault = new Vault(dir, gitDir, opts, lock);
    vault.signingPublicKey = signing?.publicKey ?? null;
    await vault.#configure(signing);
    return vault;
  }

  /**
   * Runs `task` alone: first in this process's queue, then under the cross-process vault lock. Calls
   * made from inside `task` run at once (they are already alone). When the last holder died inside its
   * section, what it left half done in git is repaired first.
   */
  async #exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.#inside.getStore()) return task();
    return this.#commits.run(async () => {
      const held = await this.#lock.acquire();
      try {
        if (held.previousCrashed) await this.#recoverIndex(held.previousCrashed);
        return await this.#inside.run(true, task);
      } finally {
        await held.release();
      }
    });
  }

  /**
   * Runs `task` as #exclusive does, but only if the vault is free now: when this process has a vault
   * change running or queued, or another process holds the vault lock, returns `{ ran: false }` at once
   * instead of waiting (a heartbeat's anchoring goes to the next beat rather than wait for a seal).
   */
  async ifFree<T>(task: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.#inside.getStore()) return { ran: true, value: await task() };
    if (this.#commits.busy) return { ran: false };
    return this.#commits.run(async () => {
      const held = await this.#lock.tryAcquire();
      if (!held) return { ran: false as const };
      try {
        if (held.previousCrashed) await this.#recoverIndex(held.previousCrashed);
        return { ran: true as const, value: await this.#inside.run(true, task) };
      } finally {
        await held.release();
      }
    });
  }

  /**
   * Runs `task` with the vault to itself across processes (see #exclusive): for work that must see the
   * vault and act on it without another process sealing in between, such as reconciling crashed runs.
   */
  withLock<T>(task: () => Promise<T>): Promise<T> {
    return this.#exclusive(task);
  }

  /**
   * After a holder died inside its section: waits for git commands it left running (they finish on
   * their own), removes the git lock files (index.lock, HEAD.lock, …) no running git holds, and unstages run folders HEAD does not have
   * (a seal cut short between `git add` and its commit), so no later commit sweeps them in.
   */
  async #recoverIndex(previous: { pid: number; host: string } | "unknown"): Promise<void> {
    // git's own lock files: a commit killed half-way can leave any of them, not only the index's.
    const locks = async () => {
      const names = ["index.lock", "HEAD.lock", "ORIG_HEAD.lock", "config.lock", "packed-refs.lock"].map(
        (n) => join(this.#gitDir, n),
      );
      const heads = join(this.#gitDir, "refs", "heads");
      const refLocks = (await readdir(heads).catch(() => [] as string[]))
        .filter((n) => n.endsWith(".lock"))
        .map((n) => join(heads, n));
      const found: string[] = [];
      for (const f of [...names, ...refLocks]) if (await exists(f)) found.push(f);
      return found;
    };
    const deadline = Date.now() + 60_000;
    for (;;) {
      const running = await gitProcessesIn(this.dir);
      if (running === undefined || running.length === 0 || Date.now() > deadline) {
        const left = running === undefined ? await locks() : [];
        if (left.length > 0) {
          throw new CodexError(
            "VAULT_BROKEN",
            `${left.join(", ")} ${left.length === 1 ? "was" : "were"} left by a process that stopped, and this system cannot tell whether a git command still holds ${left.length === 1 ? "it" : "them"}`,
            { hint: `if no git command runs in ${this.dir}, delete ${left.join(" and ")}` },
          );
        }
        if (running && running.length > 0) {
          throw new CodexError(
            "VAULT_BROKEN",
            `git process(es) ${running.join(", ")} left by a stopped process still run in ${this.dir}`,
            { hint: "wait for them to finish or stop them, then try again" },
          );
        }
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const lock of await locks()) {
      this.#log?.warn(
        { lock, previous },
        "vault: removing a git lock file left by a process that died (no git process holds it)",
      );
      await rm(lock, { force: true });
    }
    if ((await this.headCommit()) !== undefined) {
      await runGit(this.#git, ["reset", "--quiet", "--", `${RUNS}/`], "unstage run folders left by a crash");
    }
  }

  /** `YYYYMMDDTHHMMSSZ-<stack>-<first 8 chars of runId>`. */
  runFolderName(runId: string, stack: string, startedAt: Date): string {
    if (!NAME_PATTERN.test(stack)) {
      throw new CodexError(
        "STACK_INVALID",
        `stack name ${JSON.stringify(stack)} cannot name a vault folder`,
        {
          hint: "stack names may use letters, digits, '_', '.' and '-' and must start with a letter or digit",
        },
      );
    }
    if (!NAME_PATTERN.test(runId)) {
      throw new CodexError("REFUSED", `run id ${JSON.stringify(runId)} cannot name a vault folder`, {
        hint: "run ids may use letters, digits, '_', '.' and '-' (a UUID is fine)",
      });
    }
    if (Number.isNaN(startedAt.getTime())) {
      throw new CodexError("REFUSED", `run ${runId} has an invalid start time`, {
        hint: "pass the run's start as a valid Date",
      });
    }
    return `${compactUtc(startedAt)}-${stack}-${runId.slice(0, 8)}`;
  }

  async sealRun(input: {
    runId: string;
    stack: string;
    startedAt: Date;
    files: Record<string, string | Uint8Array>;
    ledger: SealJson["ledger"];
  }): Promise<SealedRun> {
    const folder = this.runFolderName(input.runId, input.stack, input.startedAt);
    const relPath = `${RUNS}/${folder}`;
    const abs = join(this.dir, RUNS, folder);
    const contents = Object.entries(input.files)
      .map(([path, content]) => {
        safeRelPath(path, relPath);
        if (path === SEAL_FILE) {
          throw new CodexError("REFUSED", `run ${input.runId} passes its own ${SEAL_FILE}`, {
            hint: `${SEAL_FILE} is written by the vault; leave it out of the run's files`,
          });
        }
        return { path, bytes: toBytes(content) };
      })
      .sort((a, b) => comparePaths(a.path, b.path));

    const { seal, commit } = await this.#exclusive(async () => {
      if (await exists(abs)) {
        if (await this.#isCommitted(relPath)) {
          throw new CodexError("REFUSED", `run ${input.runId} is already sealed in ${relPath}`, {
            hint: "a sealed run folder is never rewritten; seal a new run instead",
          });
        }
        // Left behind by a seal interrupted before its commit: nothing in history refers to it.
        await rm(abs, { recursive: true, force: true });
      }
      try {
        for (const file of contents) {
          await mkdir(dirname(join(abs, file.path)), { recursive: true });
          await writeFile(join(abs, file.path), file.bytes);
          await pausePoint("seal:file-written");
        }
        const files = contents.map((f) => ({
          path: f.path,
          sha256: sha256Hex(f.bytes),
          bytes: f.bytes.length,
        }));
        const now = this.#clock.now();
        const seal: SealJson = {
          version: 1,
          runId: input.runId,
          stack: input.stack,
          sealedAtUtc: utcIso(now),
          sealedAtCt: chicagoIso(now),
          files,
          root: sealRoot(files),
          ledger: {
            size: input.ledger.size,
            head: input.ledger.head,
            root: input.ledger.root,
            checkpoint: input.ledger.checkpoint,
          },
        };
        await writeFile(join(abs, SEAL_FILE), `${JSON.stringify(seal, null, 2)}\n`);
        await pausePoint("seal:seal-written");
        await runGit(
          this.#git,
          ["add", "--force", "--verbose", "--", relPath, ...(await this.#along())],
          `stage ${relPath}`,
        );
        await pausePoint("seal:staged");
        const subject = `seal: ${seal.stack} run ${seal.runId.slice(0, 8)} root ${seal.root.slice(0, 16)}`;
        const body = [
          `run: ${seal.runId}`,
          `stack: ${seal.stack}`,
          `folder: ${relPath}`,
          `root: ${seal.root}`,
          `files: ${files.length}`,
          `sealed: ${seal.sealedAtUtc} (${seal.sealedAtCt})`,
          `ledger: size ${seal.ledger.size} head ${seal.ledger.head} root ${seal.ledger.root}`,
        ].join("\n");
        const committed = await this.#commit(subject, body);
        await pausePoint("seal:committed");
        return { seal, commit: committed };
      } catch (err) {
        // A seal that did not commit leaves nothing behind: unstaged, so it cannot ride along in the
        // next commit, and removed, so verify never meets a half-written folder.
        await this.#git
          .raw(["rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", relPath])
          .catch(() => {});
        await rm(abs, { recursive: true, force: true }).catch(() => {});
        if (err instanceof CodexError) throw err;
        throw new CodexError(
          "VAULT_BROKEN",
          `could not write run folder ${relPath}: ${(err as Error).message}`,
          {
            hint: "check that MAOS_HOME/vault is writable and the disk is not full",
            cause: err,
          },
        );
      }
    });
    this.#log?.info(
      { runId: seal.runId, stack: seal.stack, folder: relPath, commit, root: seal.root },
      "vault: sealed run",
    );
    if (++this.#sealsSinceGc >= GC_EVERY_SEALS) this.gcInBackground();

    const { pushed } = await this.push();
    return { runId: seal.runId, dir: abs, relPath, commit, seal, pushed };
  }

  /** Writes and commits documents outside `runs/` (checkpoints, wisdom log, MVP seal docs, snapshots). */
  async commitFiles(files: Record<string, string | Uint8Array>, message: string): Promise<string> {
    const entries = Object.entries(files).map(([path, content]) => {
      this.#checkWritable(path);
      return { path, bytes: toBytes(content) };
    });
    await this.#beforeCommit?.();
    return this.#exclusive(async () => {
      for (const file of entries) {
        await mkdir(dirname(join(this.dir, file.path)), { recursive: true });
        await writeFile(join(this.dir, file.path), file.bytes);
      }
      const paths = [...entries.map((e) => e.path), ...(await this.#along())];
      if (paths.length > 0) {
        await runGit(
          this.#git,
          ["add", "--force", "--verbose", "--", ...paths],
          `stage ${entries.length} file(s)`,
        );
      }
      // Rewriting a file with the same bytes stages nothing; history gets no empty commit.
      const staged = await runGit(this.#git, ["diff", "--cached", "--name-only", "-z"], "list staged files");
      if (staged === "") {
        const head = await this.headCommit();
        if (head) return head;
      }
      return this.#commit(message);
    });
  }

  /**
   * Writes files outside `runs/` and stages them, so the next commit of any kind includes them (files
   * under checkpoints/ are written only: every commit adds checkpoints/ as it goes, see #along).
   */
  async stageFiles(files: Record<string, string | Uint8Array>): Promise<void> {
    const entries = Object.entries(files).map(([path, content]) => {
      this.#checkWritable(path);
      return { path, bytes: toBytes(content) };
    });
    if (entries.length === 0) return;
    await this.#exclusive(async () => {
      for (const file of entries) {
        await mkdir(dirname(join(this.dir, file.path)), { recursive: true });
        await writeFile(join(this.dir, file.path), file.bytes);
      }
      // checkpoints/ goes into the index with the next commit (see #along): staging it on every
      // heartbeat rewrote the whole index, whose size grows with the runs.
      const rest = entries.filter((e) => e.path.split("/")[0] !== CHECKPOINTS);
      if (rest.length === 0) return;
      await runGit(
        this.#git,
        ["add", "--force", "--verbose", "--", ...rest.map((e) => e.path)],
        `stage ${rest.length} file(s)`,
      );
    });
  }

  /** checkpoints/, when it exists: every commit but a late seal takes the newest checkpoint along. */
  async #along(): Promise<string[]> {
    return (await exists(join(this.dir, CHECKPOINTS))) ? [`${CHECKPOINTS}/`] : [];
  }

  /** Appends to (or creates) a file and stages it, so the next commit of any kind includes it. */
  async appendFile(relPath: string, text: string): Promise<void> {
    this.#checkWritable(relPath);
    await this.#exclusive(async () => {
      const abs = join(this.dir, relPath);
      await mkdir(dirname(abs), { recursive: true });
      await appendFile(abs, text);
      await runGit(this.#git, ["add", "--force", "--verbose", "--", relPath], `stage ${relPath}`);
    });
  }

  /**
   * Re-hashes sealed run folders (all when no id is given; an id may be the full run id, its 8-char
   * short id or the folder name) against their SEAL.json, and each SEAL.json against the one in HEAD.
   */
  async verify(runIds?: string[]): Promise<VaultVerifyReport> {
    // Under the lock: a run another process is sealing right now is checked once it is committed.
    return this.#exclusive(() => this.#verify(runIds));
  }

  async #verify(runIds?: string[]): Promise<VaultVerifyReport> {
    const committed = await this.#committedRuns();
    const onDisk = await this.#runFolders();
    const folders = [...new Set([...onDisk, ...committed.keys()])].sort(comparePaths);
    const seals = new Map<string, { seal?: SealJson; raw?: Buffer; error?: string }>();
    await Promise.all(folders.map(async (f) => seals.set(f, await this.#readSeal(f))));

    const runs: VaultRunReport[] = [];
    if (runIds === undefined || runIds.length === 0) {
      for (const folder of folders) runs.push(await this.#verifyFolder(folder, seals.get(folder), committed));
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
          runs.push(await this.#verifyFolder(folder, seals.get(folder), committed));
        }
      }
    }
    return { ok: runs.every((r) => r.ok), runs };
  }

  /**
   * verify() for what changed since an earlier call: a folder whose files in HEAD (every path and blob id,
   * SEAL.json's included) are those recorded in `verified` and that is still in the working tree is
   * reported ok without re-hashing; every other folder is verified in full. Returns the report (all
   * folders, as verify() lists them) and the record to pass next time: the HEAD digest of each folder
   * that verified. Pass an empty map for a full pass. Costs one `git ls-tree` and a directory listing,
   * plus hashing the new or changed folders. Not seen until a full pass: a file edited, added or removed
   * in the working tree of an already-verified folder without a commit.
   */
  async verifyChanged(
    verified: ReadonlyMap<string, string>,
  ): Promise<{ report: VaultVerifyReport; verified: Map<string, string> }> {
    return this.#exclusive(() => this.#verifyChanged(verified));
  }

  async #verifyChanged(
    verified: ReadonlyMap<string, string>,
  ): Promise<{ report: VaultVerifyReport; verified: Map<string, string> }> {
    const committed = await this.#committedRuns();
    const onDisk = new Set(await this.#runFolders());
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
      const report = await this.#verifyFolder(folder, await this.#readSeal(folder), committed);
      runs.push(report);
      if (report.ok && digest !== undefined) next.set(folder, digest);
    }
    return { report: { ok: runs.every((r) => r.ok), runs }, verified: next };
  }

  /**
   * Settles the folder of a run whose process stopped before its RUN_SEALED entry, with the vault lock
   * held (call it inside withLock): a folder HEAD has is `committed` (the seal commit landed); a complete
   * folder that was never committed (SEAL.json there and every file matching it) is committed now, alone,
   * as a late seal (`sealed-late`); an incomplete one is listed (each file's hash) and removed from the
   * working tree and the index (`incomplete`), so `vault verify` and later commits never meet it.
   */
  async recoverRun(runId: string, stack: string): Promise<RunRecovery> {
    return this.#exclusive(async () => {
      const suffix = `-${stack}-${runId.slice(0, 8)}`;
      const committed = await this.#committedRuns();
      const onDisk = await this.#runFolders();
      const folder = [...new Set([...committed.keys(), ...onDisk])].find((f) => f.endsWith(suffix));
      if (folder === undefined) return { state: "absent" };
      const relPath = `${RUNS}/${folder}`;
      if (committed.get(folder)?.has(SEAL_FILE)) {
        const commit = (
          await runGit(
            this.#git,
            ["log", "-1", "--format=%H", "HEAD", "--", relPath],
            `find the commit of ${relPath}`,
          )
        ).trim();
        const { seal } = await this.#readSeal(folder);
        return { state: "committed", relPath, commit, ...(seal ? { seal } : {}) };
      }
      const read = await this.#readSeal(folder);
      const report = await this.#verifyFolder(folder, read, committed);
      const onlyUncommitted =
        report.changed.length === 0 &&
        report.missing.length === 0 &&
        report.extra.length === 0 &&
        !report.rootMismatch &&
        read.seal?.runId === runId;
      if (read.seal && onlyUncommitted) {
        const seal = read.seal;
        await runGit(this.#git, ["add", "--force", "--verbose", "--", relPath], `stage ${relPath}`);
        const commit = await this.#commit(
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
      const base = join(this.dir, RUNS, folder);
      const files = await Promise.all(
        (await listFiles(base)).map(async (path) => {
          const bytes = await readFile(join(base, path));
          return { path, sha256: sha256Hex(bytes), bytes: bytes.length };
        }),
      );
      await runGit(
        this.#git,
        ["rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", relPath],
        `unstage ${relPath}`,
      );
      await rm(base, { recursive: true, force: true });
      return { state: "incomplete", relPath, files };
    });
  }

  /** Sealed runs in the working tree, oldest folder first; folders without a readable SEAL.json are skipped. */
  async listRuns(): Promise<
    { folder: string; runId: string; stack: string; sealedAtUtc: string; root: string }[]
  > {
    const out: { folder: string; runId: string; stack: string; sealedAtUtc: string; root: string }[] = [];
    for (const folder of await this.#runFolders()) {
      const { seal, error } = await this.#readSeal(folder);
      if (!seal) {
        this.#log?.warn({ folder, error }, "vault: run folder without a readable seal");
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
   * Starts `git gc --auto` in the background (one at a time), off the seal's path: loose objects (a few
   * KB each on disk) are packed, so the vault's size per run stays near its packed size. git's own locks
   * make it safe beside commits; nothing waits for it, and a failure only leaves objects loose.
   */
  gcInBackground(): void {
    if (this.#gc) return;
    this.#sealsSinceGc = 0;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.toUpperCase().startsWith("GIT_")) env[k] = v;
    }
    const child = spawn("git", ["gc", "--auto", "--quiet"], { cwd: this.dir, env, stdio: "ignore" });
    this.#gc = child;
    child.unref();
    const done = () => {
      if (this.#gc === child) this.#gc = undefined;
    };
    child.on("error", done);
    child.on("close", done);
  }

  /** Pushes the current branch to the remote, retrying with backoff through the clock; never throws. */
  async push(): Promise<{ pushed: boolean | "no-remote"; attempts: number; error?: string }> {
    const remote = this.#remote;
    if (remote === undefined) return { pushed: "no-remote", attempts: 0 };
    return this.#pushes.run(async () => {
      const git = gitClient(this.dir, {}, PUSH_SILENCE_LIMIT_MS);
      let error = "";
      for (let attempt = 1; attempt <= this.#pushAttempts; attempt++) {
        try {
          // Pushing to the URL itself keeps it (and any token in it) out of .git/config.
          await git.raw(["push", "--no-verify", "--porcelain", "--", remote, "HEAD"]);
          if (attempt > 1) this.#log?.info({ attempts: attempt }, "vault: pushed after retrying");
          return { pushed: true, attempts: attempt };
        } catch (err) {
          error = gitErrorText(err);
          if (attempt < this.#pushAttempts) {
            const delay = Math.min(PUSH_BACKOFF_MS * 2 ** (attempt - 1), PUSH_BACKOFF_CAP_MS);
            this.#log?.warn({ attempt, retryInMs: delay, error }, "vault: push failed, retrying");
            await this.#clock.sleep(delay);
          }
        }
      }
      this.#log?.warn(
        { attempts: this.#pushAttempts, remote: redactUrlCredentials(remote), error },
        "vault: push failed; the commit is kept locally and goes out with the next push",
      );
      return { pushed: false, attempts: this.#pushAttempts, error };
    });
  }

  async headCommit(): Promise<string | undefined> {
    const fromFiles = await this.#headFromFiles();
    if (fromFiles) return fromFiles;
    try {
      const out = (await this.#git.raw(["rev-parse", "--verify", "--quiet", "HEAD"])).trim();
      return out === "" ? undefined : out;
    } catch {
      return undefined;
    }
  }

  /** `git log -1 --format=%G?`: G good, B bad, U good but unknown validity, N none, E cannot check, … */
  async commitSignatureStatus(commit: string): Promise<string> {
    if (!/^[0-9a-fA-F]{4,64}$/.test(commit) && commit !== "HEAD") {
      throw new CodexError("REFUSED", `${JSON.stringify(commit)} is not a commit id`, {
        hint: "pass a hex commit id, as returned by sealRun or commitFiles",
      });
    }
    const out = await runGit(
      this.#git,
      ["log", "-1", "--format=%G?", commit, "--"],
      `read the signature of ${commit}`,
    );
    return out.trim();
  }

  /**
   * Every SEAL.json's ledger.checkpoint plus every file under checkpoints/, oldest first: ordered by
   * the ledger size on the note's second line (the ledger only grows), then by seal time or file
   * name. The same note met twice (a seal and a checkpoint file) is returned once.
   */
  async readCheckpoints(): Promise<string[]> {
    const found: { text: string; size: number; tie: string }[] = [];
    for (const folder of await this.#runFolders()) {
      const { seal } = await this.#readSeal(folder);
      if (!seal || seal.ledger.checkpoint === "") continue;
      found.push({
        text: seal.ledger.checkpoint,
        size: noteSize(seal.ledger.checkpoint) ?? seal.ledger.size,
        tie: seal.sealedAtUtc,
      });
    }
    for (const path of await listFiles(join(this.dir, CHECKPOINTS))) {
      const text = await readFile(join(this.dir, CHECKPOINTS, path), "utf8");
      found.push({ text, size: noteSize(text) ?? Number.POSITIVE_INFINITY, tie: path });
    }
    found.sort((a, b) => a.size - b.size || comparePaths(a.tie, b.tie));
    const seen = new Set<string>();
    return found.filter((c) => !seen.has(c.text) && seen.add(c.text)).map((c) => c.text);
  }

  async #configure(signing: SshSigningKey | undefined): Promise<void> {
    const want: [string, string][] = [
      ["user.name", AUTHOR_NAME],
      ["user.email", AUTHOR_EMAIL],
      // The files hashed into a seal must be the bytes committed, on every platform.
      ["core.autocrlf", "false"],
      // Explicitly off when unsigned, so a global commit.gpgsign=true cannot break vault commits.
      ["commit.gpgsign", signing ? "true" : "false"],
      // Loose objects are packed (by gcInBackground) once there are this many: a seal writes ~13.
      ["gc.auto", String(GC_AUTO_LOOSE)],
      ["gc.autoDetach", "false"],
    ];
    if (signing) {
      const signers = join(this.#gitDir, ALLOWED_SIGNERS_FILE);
      await writeFile(signers, `${AUTHOR_EMAIL} namespaces="git" ${signing.publicKey}\n`);
      want.push(
        ["gpg.format", "ssh"],
        ["user.signingkey", signing.keyPath],
        ["gpg.ssh.allowedsignersfile", signers],
      );
    }
    const current = new Map<string, string>();
    for (const entry of (
      await runGit(this.#git, ["config", "--local", "--list", "-z"], "read the vault's git config")
    ).split("\0")) {
      const nl = entry.indexOf("\n");
      if (nl > 0) current.set(entry.slice(0, nl).toLowerCase(), entry.slice(nl + 1));
    }
    // Only what differs is written: reopening a configured vault spawns no extra git processes.
    for (const [key, value] of want) {
      if (current.get(key.toLowerCase()) !== value) {
        await runGit(this.#git, ["config", "--local", key, value], `set ${key} in the vault's git config`);
      }
    }
  }

  /** Called with the vault lock held, so of several processes opening a fresh vault one commits. */
  async #initialCommit(): Promise<void> {
    const readme = join(this.dir, "README.md");
    if (!(await exists(readme))) await writeFile(readme, VAULT_README);
    await runGit(this.#git, ["add", "--force", "--verbose", "--", "README.md"], "stage README.md");
    await this.#commit("vault: initialise");
  }

  /** Commits the index with the clock's time as author and committer date; returns the new HEAD. */
  async #commit(subject: string, body?: string): Promise<string> {
    const seconds = Math.floor(this.#clock.now().getTime() / 1000);
    const date = `@${seconds} +0000`;
    const git = gitClient(this.dir, { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    const args = ["commit", "--no-verify", "-m", subject];
    if (body) args.push("-m", body);
    try {
      await git.raw(args);
    } catch (cause) {
      throw new CodexError("VAULT_BROKEN", `vault commit "${subject}" failed: ${gitErrorText(cause)}`, {
        hint: "check the vault's git repository under MAOS_HOME/vault (and MAOS_VAULT_SIGNING_KEY when commits are signed)",
        cause,
      });
    }
    const head = await this.headCommit();
    if (!head) throw new CodexError("VAULT_BROKEN", `vault commit "${subject}" left no HEAD`);
    return head;
  }

  /** HEAD read straight from .git (no process): a loose ref, else packed-refs. */
  #headFromFiles(): Promise<string | undefined> {
    return headFromFiles(this.#gitDir);
  }

  #checkWritable(relPath: string): void {
    safeRelPath(relPath, "the vault");
    if (relPath.split("/")[0] === RUNS) {
      throw new CodexError("REFUSED", `refusing to write ${relPath}: ${RUNS}/ holds sealed runs only`, {
        hint: "sealed run folders are written once, by sealRun; put other documents elsewhere in the vault",
      });
    }
  }

  async #isCommitted(relPath: string): Promise<boolean> {
    if ((await this.headCommit()) === undefined) return false;
    const out = await runGit(
      this.#git,
      ["ls-tree", "--name-only", "HEAD", "--", relPath],
      `look up ${relPath}`,
    );
    return out.trim() !== "";
  }

  async #runFolders(): Promise<string[]> {
    const entries = await readdir(join(this.dir, RUNS), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(comparePaths);
  }

  /**
   * Every file of every run folder in HEAD (or the commit `at`): folder → (path inside the folder → blob
   * id). One git process.
   */
  async #committedRuns(at?: string): Promise<Map<string, Map<string, string>>> {
    const runs = new Map<string, Map<string, string>>();
    if ((await this.headCommit()) === undefined) return runs;
    const out = await runGit(
      this.#git,
      ["ls-tree", "-r", "-z", at ?? "HEAD", "--", `${RUNS}/`],
      "list sealed runs",
    );
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

  async #readSeal(folder: string): Promise<{ seal?: SealJson; raw?: Buffer; error?: string }> {
    const raw = await readFile(join(this.dir, RUNS, folder, SEAL_FILE)).catch(() => undefined);
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

  async #verifyFolder(
    folder: string,
    read: { seal?: SealJson; raw?: Buffer; error?: string } | undefined,
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
    const base = join(this.dir, RUNS, folder);
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
}

async function runGit(git: SimpleGit, args: string[], what: string): Promise<string> {
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

async function toplevel(git: SimpleGit): Promise<string | undefined> {
  try {
    return (await git.raw(["rev-parse", "--show-toplevel"])).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === "string" ? Buffer.from(content, "utf8") : content;
}

/** Files (anything but a directory) below `base`, as sorted `/`-separated relative paths. */
async function listFiles(base: string): Promise<string[]> {
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

/** One hash of a run folder's files as HEAD holds them: each path and its blob id, in path order. */
function treeDigest(files: ReadonlyMap<string, string>): string {
  const h = createHash("sha256");
  for (const path of [...files.keys()].sort(comparePaths)) h.update(JSON.stringify([path, files.get(path)]));
  return h.digest("hex");
}

/** Git's object id of a blob: sha1 (40 hex) or sha256 (64 hex) over `blob <len>\0<bytes>`. */
function gitBlobId(bytes: Uint8Array, idLength: number): string {
  const hash = createHash(idLength === 64 ? "sha256" : "sha1");
  return hash.update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

function matchesRun(folder: string, seal: SealJson | undefined, id: string): boolean {
  if (folder === id || seal?.runId === id) return true;
  return id.length === 8 && (seal ? seal.runId.slice(0, 8) === id : folder.endsWith(`-${id}`));
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
