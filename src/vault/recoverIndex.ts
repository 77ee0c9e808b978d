import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { SimpleGit } from "simple-git";
import { CodexError } from "../core/CodexError.ts";
import { gitProcessesIn } from "./VaultLock.ts";
import { exists, RUNS, runGit } from "./vaultFiles.ts";

/**
 * After a vault-lock holder died inside its section: waits for git commands it left running (they
 * finish on their own), removes the git lock files (index.lock, HEAD.lock, …) no running git holds, and
 * unstages run folders HEAD does not have (a seal cut short between `git add` and its commit), so no
 * later commit sweeps them in.
 */
export async function recoverIndex(v: {
  dir: string;
  gitDir: string;
  git: SimpleGit;
  hasHead: () => Promise<boolean>;
  log?: { warn(o: object, m?: string): void };
  previous: { pid: number; host: string } | "unknown";
}): Promise<void> {
  // git's own lock files: a commit killed half-way can leave any of them, not only the index's.
  const locks = async () => {
    const names = ["index.lock", "HEAD.lock", "ORIG_HEAD.lock", "config.lock", "packed-refs.lock"].map((n) =>
      join(v.gitDir, n),
    );
    const heads = join(v.gitDir, "refs", "heads");
    const refLocks = (await readdir(heads).catch(() => [] as string[]))
      .filter((n) => n.endsWith(".lock"))
      .map((n) => join(heads, n));
    const found: string[] = [];
    for (const f of [...names, ...refLocks]) if (await exists(f)) found.push(f);
    return found;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const running = await gitProcessesIn(v.dir);
    if (running === undefined || running.length === 0 || Date.now() > deadline) {
      const left = running === undefined ? await locks() : [];
      if (left.length > 0) {
        throw new CodexError(
          "VAULT_BROKEN",
          `${left.join(", ")} ${left.length === 1 ? "was" : "were"} left by a process that stopped, and this system cannot tell whether a git command still holds ${left.length === 1 ? "it" : "them"}`,
          { hint: `if no git command runs in ${v.dir}, delete ${left.join(" and ")}` },
        );
      }
      if (running && running.length > 0) {
        throw new CodexError(
          "VAULT_BROKEN",
          `git process(es) ${running.join(", ")} left by a stopped process still run in ${v.dir}`,
          { hint: "wait for them to finish or stop them, then try again" },
        );
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const lock of await locks()) {
    v.log?.warn(
      { lock, previous: v.previous },
      "vault: removing a git lock file left by a process that died (no git process holds it)",
    );
    await rm(lock, { force: true });
  }
  if (await v.hasHead()) {
    await runGit(v.git, ["reset", "--quiet", "--", `${RUNS}/`], "unstage run folders left by a crash");
  }
}
