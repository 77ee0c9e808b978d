import { type SimpleGit, type SimpleGitOptions, simpleGit } from "simple-git";

/** Variables the vault sets or passes through on purpose; simple-git strips every other GIT_* one. */
const ALLOWED_ENV = [
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_DATE",
  "GIT_TERMINAL_PROMPT",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
];

/** Non-GIT_ variables simple-git also guards (they can make git run other programs). */
const GUARDED_PLAIN = new Set(["editor", "pager", "prefix", "ssh_askpass", "visual"]);

/**
 * A simple-git instance rooted at `dir` that rejects on ANY non-zero exit (simple-git's default
 * resolves when git exits 1 with an empty stderr, e.g. "nothing to commit"), never prompts for
 * credentials, and runs without the caller's GIT_DIR / GIT_INDEX_FILE & co., which would otherwise
 * point git at another repository. `extraEnv` carries per-commit dates.
 *
 * simple-git waits an extra 50 ms after any git process that printed nothing, so the vault calls
 * git with flags that make it talk (`add --verbose`, `commit` without `--quiet`, `push --porcelain`).
 */
export function gitClient(
  dir: string,
  extraEnv: Record<string, string> = {},
  blockTimeoutMs?: number,
): SimpleGit {
  const options: Partial<SimpleGitOptions> = {
    baseDir: dir,
    allowEnvironment: ALLOWED_ENV,
    errors(error, result) {
      if (error instanceof Error) return error;
      if (result.exitCode === 0) return undefined;
      const text = Buffer.concat([...result.stdErr, ...result.stdOut])
        .toString("utf8")
        .trim();
      return new Error(text || `git exited with code ${result.exitCode}`);
    },
  };
  if (blockTimeoutMs !== undefined) options.timeout = { block: blockTimeoutMs };
  return simpleGit(options).env({ ...ambientEnv(), GIT_TERMINAL_PROMPT: "0", ...extraEnv });
}

/** This process's environment without GIT_* variables (and the other guarded ones): for spawned git. */
export function gitEnv(): Record<string, string> {
  return { ...ambientEnv(), GIT_TERMINAL_PROMPT: "0" };
}

function ambientEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const allowed = new Set(ALLOWED_ENV.map((k) => k.toLowerCase()));
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    const lower = key.toLowerCase();
    if ((lower.startsWith("git_") || GUARDED_PLAIN.has(lower)) && !allowed.has(lower)) continue;
    env[key] = value;
  }
  return env;
}

/** The text of a git failure without simple-git's "Error: " prefix, URL credentials masked. */
export function gitErrorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactUrlCredentials(text.replace(/^(Error: )+/, "").trim());
}

/** `https://user:token@host/x` → `https://***@host/x`: remote URLs may embed a token. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/(\/\/)[^/@\s]+@/g, "$1***@");
}
