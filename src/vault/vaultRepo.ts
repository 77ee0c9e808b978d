import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { FastCommits } from "./fastCommit.ts";
import { gitClient, gitErrorText } from "./gitClient.ts";
import type { ObjectFormat } from "./gitObjects.ts";
import { headFromFiles } from "./headFromFiles.ts";
import { committedRuns, exists, runGit } from "./vaultFiles.ts";

/**
 * The git mechanics under the vault: staging, committing with the clock's time, reading HEAD. Callers
 * hold the vault lock (Vault serialises every change); this class only talks to the repository.
 */
export class VaultRepo {
  readonly dir: string;
  readonly gitDir: string;
  readonly git: SimpleGit;
  readonly #clock: Clock;
  #fast: FastCommits | undefined;
  #splitTried = false;
  /** Set when the split index has grown past CONSOLIDATE_AT; cleared by consolidate(). */
  needsConsolidation = false;

  constructor(dir: string, gitDir: string, clock: Clock) {
    this.dir = dir;
    this.gitDir = gitDir;
    this.git = gitClient(dir);
    this.#clock = clock;
  }

  /** Turns on commits without git processes (fastCommit.ts). */
  enableFastCommits(format: ObjectFormat, signingKey: string | undefined): void {
    this.#fast = new FastCommits(this.dir, this.gitDir, format, signingKey);
  }

  /**
   * Runs a fast operation; when it declines (an index that is not split: a vault from an older
   * version), splits the index with git once and tries again.
   */
  async #withFast<T>(op: (fast: FastCommits) => Promise<T | undefined>): Promise<T | undefined> {
    const fast = this.#fast;
    if (!fast) return undefined;
    const first = await op(fast);
    if (first !== undefined || this.#splitTried) return first;
    this.#splitTried = true;
    await runGit(this.git, ["update-index", "--split-index"], "split the vault's index").catch(() => {});
    return op(fast);
  }

  /**
   * Folds the split index's entries into a new shared index (one git process, off the seal's path),
   * after bringing run folders in the index up to HEAD (a fast commit whose index write failed).
   */
  async consolidate(): Promise<void> {
    this.needsConsolidation = false;
    await runGit(this.git, ["reset", "--quiet", "--", "runs/"], "bring the vault's index up to HEAD");
    await runGit(this.git, ["update-index", "--split-index"], "fold the vault's split index");
  }

  /** Stages documents without a git process when it can; otherwise with `git add`. */
  async stageDocs(paths: string[], what: string): Promise<void> {
    if (paths.length === 0) return;
    const staged = await this.#withFast(async (fast) => ((await fast.stage(paths)) ? true : undefined));
    if (!staged) await this.stage(paths, what);
  }

  /**
   * Commits `docs` (documents, staged first) and what the index holds, plus a new run folder when given,
   * without a git process when it can (fastCommit.ts), else through `git add` and `git commit`.
   * `beforeBranch` runs once everything is written but before the branch moves. Returns the commit, or
   * HEAD unchanged when documents alone changed nothing.
   */
  async commitChanges(o: {
    docs: string[];
    run?: { relPath: string; files: { path: string; bytes: Uint8Array }[] };
    subject: string;
    body?: string;
    beforeBranch?: () => Promise<void>;
  }): Promise<string> {
    const seconds = Math.floor(this.#clock.now().getTime() / 1000);
    const fast = await this.#withFast((f) => f.commit({ ...o, seconds }));
    if (fast) {
      if (fast.consolidate) this.needsConsolidation = true;
      return fast.commit;
    }
    await this.stage([...(o.run ? [o.run.relPath] : []), ...o.docs], "stage the vault's changes");
    await o.beforeBranch?.();
    if (!o.run && !(await this.hasStaged())) {
      const head = await this.headCommit();
      if (head) return head;
    }
    return this.commit(o.subject, o.body);
  }

  /** HEAD read straight from .git when it can be (no process), else through `git rev-parse`. */
  async headCommit(): Promise<string | undefined> {
    const fromFiles = await headFromFiles(this.gitDir);
    if (fromFiles) return fromFiles;
    try {
      const out = (await this.git.raw(["rev-parse", "--verify", "--quiet", "HEAD"])).trim();
      return out === "" ? undefined : out;
    } catch {
      return undefined;
    }
  }

  async hasHead(): Promise<boolean> {
    return (await this.headCommit()) !== undefined;
  }

  /** `git add --force` of paths relative to the vault. */
  async stage(paths: string[], what: string): Promise<void> {
    if (paths.length === 0) return;
    await runGit(this.git, ["add", "--force", "--verbose", "--", ...paths], what);
  }

  /** Removes a path from the index only (a seal that did not commit, a folder left by a crash). */
  async unstage(relPath: string): Promise<void> {
    await runGit(
      this.git,
      ["rm", "-r", "--cached", "--quiet", "--ignore-unmatch", "--", relPath],
      `unstage ${relPath}`,
    );
  }

  /** True when the index differs from HEAD (something is staged for the next commit). */
  async hasStaged(): Promise<boolean> {
    return (await runGit(this.git, ["diff", "--cached", "--name-only", "-z"], "list staged files")) !== "";
  }

  async isCommitted(relPath: string): Promise<boolean> {
    if (!(await this.hasHead())) return false;
    const out = await runGit(
      this.git,
      ["ls-tree", "--name-only", "HEAD", "--", relPath],
      `look up ${relPath}`,
    );
    return out.trim() !== "";
  }

  /** The newest commit at or before HEAD that touched `relPath`. */
  async lastCommitOf(relPath: string): Promise<string> {
    return (
      await runGit(
        this.git,
        ["log", "-1", "--format=%H", "HEAD", "--", relPath],
        `find the commit of ${relPath}`,
      )
    ).trim();
  }

  /** See committedRuns: every run folder's files in HEAD. */
  async committedRuns(): Promise<Map<string, Map<string, string>>> {
    return committedRuns(this.git, await this.hasHead());
  }

  /** `git log -1 --format=%G?`: G good, B bad, U good but unknown validity, N none, E cannot check, … */
  async signatureStatus(commit: string): Promise<string> {
    if (!/^[0-9a-fA-F]{4,64}$/.test(commit) && commit !== "HEAD") {
      throw new CodexError("REFUSED", `${JSON.stringify(commit)} is not a commit id`, {
        hint: "pass a hex commit id, as returned by sealRun or commitFiles",
      });
    }
    const out = await runGit(
      this.git,
      ["log", "-1", "--format=%G?", commit, "--"],
      `read the signature of ${commit}`,
    );
    return out.trim();
  }

  /** Commits the index with the clock's time as author and committer date; returns the new HEAD. */
  async commit(subject: string, body?: string): Promise<string> {
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
}

/**
 * Makes `dir` a git repository if it is an empty folder (never adopts someone's files or another
 * repository's subfolder) and checks that it is the top of its own repository.
 */
export async function initRepository(dir: string): Promise<{ git: SimpleGit; gitDir: string }> {
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

  const lines = (await runGit(git, ["rev-parse", "--show-toplevel", "--absolute-git-dir"], `inspect ${dir}`))
    .trim()
    .split("\n");
  const top = lines[0] ? await realpath(lines[0]).catch(() => lines[0]) : undefined;
  const gitDir = lines[1];
  if (top !== dir || !gitDir) {
    throw new CodexError("VAULT_BROKEN", `vault folder ${dir} is not the top of its own git repository`, {
      hint: `git reports the repository top as ${top ?? "unknown"}; the vault must be its own repository so its commits never land in another one (check MAOS_HOME)`,
    });
  }

  return { git, gitDir };
}

async function toplevel(git: SimpleGit): Promise<string | undefined> {
  try {
    return (await git.raw(["rev-parse", "--show-toplevel"])).trim() || undefined;
  } catch {
    return undefined;
  }
}
