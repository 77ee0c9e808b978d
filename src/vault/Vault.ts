// Over 500 lines on purpose: every vault write (seal, documents, recovery) and its locking, local and shared, in one place.
import { AsyncLocalStorage } from "node:async_hooks";
import type { ChildProcess } from "node:child_process";
import { appendFile, mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { SimpleGit } from "simple-git";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { pausePoint } from "../core/pausePoint.ts";
import { SerialQueue } from "../core/SerialQueue.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import { gitEnv } from "./gitClient.ts";
import { readObjects } from "./gitObjects.ts";
import { recoverIndex } from "./recoverIndex.ts";
import { type RunRecovery, recoverRunFolder } from "./recoverRun.ts";
import { safeRelPath } from "./safeRelPath.ts";
import { comparePaths, sealRoot, sha256Hex } from "./sealRoot.ts";
import { isRemoteUnreachable, keepingRunFolder, SharedRemote, type SharedSealing } from "./sharedRemote.ts";
import { prepareSshSigning, type SshSigningKey } from "./sshSigning.ts";
import { CrossProcessLock } from "./VaultLock.ts";
import { configureVault } from "./vaultConfig.ts";
import {
  CHECKPOINTS,
  exists,
  listFiles,
  listSealedRuns,
  RUNS,
  readCheckpointNotes,
  SEAL_FILE,
  type SealedRunSummary,
  type SealJson,
  toBytes,
} from "./vaultFiles.ts";
import { VAULT_README } from "./vaultReadme.ts";
import { initRepository, VaultRepo } from "./vaultRepo.ts";
import { runFolderName, type SealedRun, type VaultLog, type VaultOpenOptions } from "./vaultTypes.ts";
import { pushWithRetry, startGc } from "./vaultUpkeep.ts";
import { type VaultReader, type VaultVerifyReport, verifyChangedRuns, verifyRuns } from "./verifyVault.ts";

export type { RunRecovery } from "./recoverRun.ts";
export { isRemoteUnreachable, type SharedSealing } from "./sharedRemote.ts";
export type { SealJson } from "./vaultFiles.ts";
export type { SealedRun, VaultLog, VaultOpenOptions } from "./vaultTypes.ts";
export { VAULT_CHECKPOINT_FILE } from "./vaultTypes.ts";
export type { VaultRunReport, VaultVerifyReport } from "./verifyVault.ts";

/** Thrown inside ifFree when another replica holds the cluster lock; ifFree returns `{ ran: false }`. */
const CLUSTER_BUSY = new Error("the shared vault's cluster lock is held by another replica");

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
  readonly #repo: VaultRepo;
  readonly #git: SimpleGit;
  readonly #commits = new SerialQueue();
  readonly #pushes = new SerialQueue();
  /** `<type> <base64>` of the SSH key commits are signed with, or null when they are unsigned. */
  signingPublicKey: string | null = null;
  readonly #lock: CrossProcessLock;
  /** Set inside #exclusive: nested vault calls run in the section already held. */
  readonly #inside = new AsyncLocalStorage<true>();
  /** Shared sealing (several replicas, one remote): the cluster lock and the git side. */
  readonly #shared: { sealing: SharedSealing; remote: SharedRemote } | undefined;
  /** Set inside #underCluster: nested writes run in the cluster section already held. */
  readonly #insideCluster = new AsyncLocalStorage<true>();
  /** Set inside ifFree: the cluster lock is tried, not waited for (see CLUSTER_BUSY). */
  readonly #tryOnly = new AsyncLocalStorage<true>();
  /** Seals since the last `git gc --auto` this process started, and that process while it runs. */
  #sealsSinceGc = 0;
  #gc: ChildProcess | undefined;
  #folding = false;

  private constructor(dir: string, gitDir: string, opts: VaultOpenOptions, lock: CrossProcessLock) {
    this.dir = dir;
    this.#gitDir = gitDir;
    this.#clock = opts.clock;
    this.#remote = opts.remote === undefined || opts.remote === "" ? undefined : opts.remote;
    this.#log = opts.log;
    this.#pushAttempts = Math.max(1, Math.floor(opts.pushAttempts ?? 3));
    this.#beforeCommit = opts.beforeCommit;
    this.#repo = new VaultRepo(dir, gitDir, opts.clock);
    this.#git = this.#repo.git;
    this.#lock = lock;
    this.#shared =
      opts.shared && this.#remote !== undefined
        ? { sealing: opts.shared, remote: new SharedRemote(dir, gitDir, this.#remote) }
        : undefined;
  }

  /** True when replicas share this vault through MAOS_VAULT_REMOTE (see VaultOpenOptions.shared). */
  get shared(): boolean {
    return this.#shared !== undefined;
  }

  static async open(opts: VaultOpenOptions): Promise<Vault> {
    if (opts.shared && !opts.remote) {
      throw new CodexError(
        "CONFIG_INVALID",
        "MAOS_VAULT_REMOTE is not set, but replicas share this vault (DATABASE_URL is set): each replica's seals must reach one remote",
        {
          hint: "set MAOS_VAULT_REMOTE to the git remote every replica pushes to (a bare repository on a shared volume, or a git server URL)",
        },
      );
    }
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
      if ((await vault.headCommit()) === undefined) {
        // Shared: a fresh clone takes the remote's history; only the first replica ever initialises it.
        if (vault.#shared) await vault.#underCluster(async () => vault.#initialCommit(), true);
        else await vault.#initialCommit();
      }
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
    const { git, gitDir } = await initRepository(dir);
    const vault = new Vault(dir, gitDir, opts, lock);
    vault.signingPublicKey = signing?.publicKey ?? null;
    vault.#repo.enableFastCommits(await configureVault(git, gitDir, signing), signing?.keyPath);
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
   * A write: #exclusive, and in shared mode also #underCluster (the cluster lock, the remote caught up
   * with first unless `catchUpFirst` is false, in which case the task calls #catchUp itself).
   */
  #write<T>(task: () => Promise<T>, catchUpFirst = true): Promise<T> {
    if (!this.#shared) return this.#exclusive(task);
    return this.#exclusive(() => this.#underCluster(task, catchUpFirst));
  }

  /** With the local lock held: runs `task` under the cluster lock (once; nested calls run at once). */
  async #underCluster<T>(task: () => Promise<T>, catchUpFirst: boolean): Promise<T> {
    const shared = this.#shared;
    if (!shared || this.#insideCluster.getStore()) return task();
    const inner = () =>
      this.#insideCluster.run(true, async () => {
        if (catchUpFirst) await this.#catchUp();
        return task();
      });
    if (this.#tryOnly.getStore() && shared.sealing.tryLock) {
      const r = await shared.sealing.tryLock(inner);
      if (!r.ran) throw CLUSTER_BUSY;
      return r.value;
    }
    return shared.sealing.lock(inner);
  }

  /** Shared mode, local lock held: fetch MAOS_VAULT_REMOTE and fast-forward to it (see SharedRemote). */
  async #catchUp(): Promise<void> {
    if (!this.#shared) return;
    const { restage } = await this.#shared.remote.catchUp();
    await this.#repo.stageDocs(restage, "stage the vault's pending documents again");
  }

  /**
   * Shared mode, inside #underCluster after a commit: pushes it. When the push fails the commits since
   * `prev` are undone (no divergence from the remote) and the error names MAOS_VAULT_REMOTE.
   */
  async #publish(prev: string | undefined, what: string): Promise<void> {
    const shared = this.#shared;
    if (!shared || (await this.headCommit()) === prev) return;
    const r = await shared.remote.publish({
      prev,
      attempts: this.#pushAttempts,
      clock: this.#clock,
      what,
      ...(this.#log ? { log: this.#log } : {}),
    });
    if (r.pushed) return;
    await this.#repo.stageDocs(r.restage, "stage the vault's pending documents again");
    throw r.error;
  }

  /**
   * Shared mode: fetches MAOS_VAULT_REMOTE and fast-forwards this clone to it (branch, index, working
   * tree), under the local vault lock only: what the custody checks and `vault verify` call first, so a
   * replica checks the seals every replica made. Does nothing on a vault of one home.
   */
  async sync(): Promise<void> {
    if (!this.#shared) return;
    await this.#exclusive(() => this.#catchUp());
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
        return {
          ran: true as const,
          value: await this.#inside.run(true, () => this.#tryOnly.run(true, task)),
        };
      } catch (err) {
        // Another replica holds the cluster lock: the task took it first thing, so nothing was done.
        if (err === CLUSTER_BUSY) return { ran: false as const };
        throw err;
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
    return this.#write(task);
  }

  /** Repairs what a lock holder that died left half done in git (see recoverIndex). */
  #recoverIndex(previous: { pid: number; host: string } | "unknown"): Promise<void> {
    return recoverIndex({
      dir: this.dir,
      gitDir: this.#gitDir,
      git: this.#git,
      hasHead: () => this.#repo.hasHead(),
      ...(this.#log ? { log: this.#log } : {}),
      previous,
    });
  }

  /** `YYYYMMDDTHHMMSSZ-<stack>-<first 8 chars of runId>`. */
  runFolderName(runId: string, stack: string, startedAt: Date): string {
    return runFolderName(runId, stack, startedAt);
  }

  async sealRun(input: {
    runId: string;
    stack: string;
    startedAt: Date;
    files: Record<string, string | Uint8Array>;
    ledger: SealJson["ledger"];
    /**
     * Checked inside the vault's lock (with replicas, the cluster's), before anything is written: a run
     * another replica settled meanwhile must not be sealed. Throws to refuse.
     */
    guard?: () => Promise<void>;
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

    let written = false;
    const { seal, commit } = await this.#write(async () => {
      await input.guard?.();
      if (await exists(abs)) {
        if (await this.#repo.isCommitted(relPath)) {
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
        const sealBytes = Buffer.from(`${JSON.stringify(seal, null, 2)}\n`, "utf8");
        await writeFile(join(abs, SEAL_FILE), sealBytes);
        written = true;
        await pausePoint("seal:seal-written");
        // Shared: caught up only now, so a remote that does not answer leaves the complete folder.
        await this.#catchUp();
        const prev = await this.headCommit();
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
        const committed = await this.#repo.commitChanges({
          docs: await this.#along(),
          run: { relPath, files: [...contents, { path: SEAL_FILE, bytes: sealBytes }] },
          subject,
          body,
          beforeBranch: () => pausePoint("seal:staged"),
        });
        await pausePoint("seal:committed");
        await this.#publish(prev, `publish the seal of run ${input.runId}`);
        return { seal, commit: committed };
      } catch (err) {
        // A seal that did not commit leaves nothing behind: unstaged, so it cannot ride along in the
        // next commit, and removed, so verify never meets a half-written folder. Except a complete one
        // whose remote did not answer (shared mode): kept, for reconcileRuns to seal late.
        await this.#repo.unstage(relPath).catch(() => {});
        if (written && isRemoteUnreachable(err)) throw keepingRunFolder(err, relPath);
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
    }, false);
    this.#log?.info(
      { runId: seal.runId, stack: seal.stack, folder: relPath, commit, root: seal.root },
      "vault: sealed run",
    );
    this.#upkeep();
    if (++this.#sealsSinceGc >= GC_EVERY_SEALS) this.gcInBackground();

    const { pushed } = this.#shared ? { pushed: true } : await this.push();
    return { runId: seal.runId, dir: abs, relPath, commit, seal, pushed };
  }

  /** Writes and commits documents outside `runs/` (checkpoints, wisdom log, MVP seal docs, snapshots). */
  async commitFiles(files: Record<string, string | Uint8Array>, message: string): Promise<string> {
    const entries = Object.entries(files).map(([path, content]) => {
      this.#checkWritable(path);
      return { path, bytes: toBytes(content) };
    });
    await this.#beforeCommit?.();
    const commit = await this.#write(async () => {
      const prev = await this.headCommit();
      for (const file of entries) {
        await mkdir(dirname(join(this.dir, file.path)), { recursive: true });
        await writeFile(join(this.dir, file.path), file.bytes);
      }
      const made = await this.#repo.commitChanges({
        docs: [...entries.map((e) => e.path), ...(await this.#along())],
        subject: message,
      });
      await this.#publish(prev, `publish the vault commit "${message}"`);
      return made;
    });
    this.#upkeep();
    return commit;
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
      await this.#repo.stageDocs(
        rest.map((e) => e.path),
        `stage ${rest.length} file(s)`,
      );
    });
  }

  /** The files under checkpoints/: every commit but a late seal takes the newest checkpoint along. */
  async #along(): Promise<string[]> {
    return (await listFiles(join(this.dir, CHECKPOINTS))).map((f) => `${CHECKPOINTS}/${f}`);
  }

  /** Appends to (or creates) a file and stages it, so the next commit of any kind includes it. */
  async appendFile(relPath: string, text: string): Promise<void> {
    this.#checkWritable(relPath);
    await this.#exclusive(async () => {
      const abs = join(this.dir, relPath);
      await mkdir(dirname(abs), { recursive: true });
      await appendFile(abs, text);
      await this.#repo.stageDocs([relPath], `stage ${relPath}`);
    });
  }

  /**
   * Re-hashes sealed run folders (all when no id is given; an id may be the full run id, its 8-char
   * short id or the folder name) against their SEAL.json, and each SEAL.json against the one in HEAD.
   */
  async verify(runIds?: string[]): Promise<VaultVerifyReport> {
    // Under the lock: a run another process is sealing right now is checked once it is committed.
    // Shared: this replica checks every replica's seals, caught up with MAOS_VAULT_REMOTE first.
    return this.#exclusive(async () => {
      await this.#catchUp();
      return verifyRuns(await this.#reader(), runIds);
    });
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
    return this.#exclusive(async () => verifyChangedRuns(await this.#reader(), verified));
  }

  /**
   * Settles the folder of a run whose process stopped before its RUN_SEALED entry, with the vault lock
   * held (call it inside withLock): a folder HEAD has is `committed` (the seal commit landed); a complete
   * folder that was never committed (SEAL.json there and every file matching it) is committed now, alone,
   * as a late seal (`sealed-late`); an incomplete one is listed (each file's hash) and removed from the
   * working tree and the index (`incomplete`), so `vault verify` and later commits never meet it.
   */
  async recoverRun(runId: string, stack: string): Promise<RunRecovery> {
    return this.#write(async () => {
      const prev = await this.headCommit();
      const recovery = await recoverRunFolder(this.#repo, runId, stack);
      if (recovery.state === "sealed-late")
        await this.#publish(prev, `publish the late seal of run ${runId}`);
      return recovery;
    });
  }

  /** Sealed runs in the working tree, oldest folder first; folders without a readable SEAL.json are skipped. */
  listRuns(): Promise<SealedRunSummary[]> {
    return listSealedRuns(this.dir, this.#log);
  }

  /** Folds the split index in the background once a commit asks for it (see VaultRepo.consolidate). */
  #upkeep(): void {
    if (!this.#repo.needsConsolidation || this.#folding) return;
    this.#folding = true;
    this.#exclusive(() => this.#repo.consolidate())
      .catch((err: unknown) =>
        this.#log?.warn({ error: (err as Error).message }, "vault: could not fold the split index"),
      )
      .finally(() => {
        this.#folding = false;
      });
  }

  /**
   * Starts `git gc --auto` in the background (one at a time), off the seal's path: loose objects (a few
   * KB each on disk) are packed, so the vault's size per run stays near its packed size. git's own locks
   * make it safe beside commits; nothing waits for it, and a failure only leaves objects loose.
   */
  gcInBackground(): void {
    if (this.#gc) return;
    this.#sealsSinceGc = 0;
    const child = startGc(this.dir);
    this.#gc = child;
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
    return this.#pushes.run(() =>
      pushWithRetry({
        dir: this.dir,
        remote,
        attempts: this.#pushAttempts,
        clock: this.#clock,
        ...(this.#log ? { log: this.#log } : {}),
      }),
    );
  }

  headCommit(): Promise<string | undefined> {
    return this.#repo.headCommit();
  }

  /** Files as `commit` holds them, read by one git process; a path that commit lacks maps to undefined. */
  async readCommitted(commit: string, relPaths: readonly string[]): Promise<Map<string, string | undefined>> {
    const found = await readObjects(
      this.dir,
      gitEnv(),
      relPaths.map((p) => `${commit}:${p}`),
    );
    return new Map(relPaths.map((p) => [p, found.get(`${commit}:${p}`)?.body.toString("utf8")]));
  }

  /** `git log -1 --format=%G?`: G good, B bad, U good but unknown validity, N none, E cannot check, … */
  commitSignatureStatus(commit: string): Promise<string> {
    return this.#repo.signatureStatus(commit);
  }

  /**
   * Every SEAL.json's ledger.checkpoint plus every file under checkpoints/, oldest first: ordered by
   * the ledger size on the note's second line (the ledger only grows), then by seal time or file
   * name. The same note met twice (a seal and a checkpoint file) is returned once.
   */
  readCheckpoints(): Promise<string[]> {
    return readCheckpointNotes(this.dir);
  }

  /** Called with the vault lock held, so of several processes opening a fresh vault one commits. */
  async #initialCommit(): Promise<void> {
    if ((await this.headCommit()) !== undefined) return;
    const readme = join(this.dir, "README.md");
    if (!(await exists(readme))) await writeFile(readme, VAULT_README);
    await this.#repo.stage(["README.md"], "stage README.md");
    await this.#repo.commit("vault: initialise");
    await this.#publish(undefined, "publish the vault's first commit");
  }

  #checkWritable(relPath: string): void {
    safeRelPath(relPath, "the vault");
    if (relPath.split("/")[0] === RUNS) {
      throw new CodexError("REFUSED", `refusing to write ${relPath}: ${RUNS}/ holds sealed runs only`, {
        hint: "sealed run folders are written once, by sealRun; put other documents elsewhere in the vault",
      });
    }
  }

  async #reader(): Promise<VaultReader> {
    return { dir: this.dir, git: this.#git, hasHead: (await this.headCommit()) !== undefined };
  }
}
