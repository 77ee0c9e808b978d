import { readdir, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { gitClient, gitErrorText } from "./gitClient.ts";
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

  constructor(dir: string, gitDir: string, clock: Clock) {
    this.dir = dir;
    this.gitDir = gitDir;
    this.git = gitClient(dir);
    this.#clock = clock;
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
