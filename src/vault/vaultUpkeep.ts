import { type ChildProcess, spawn } from "node:child_process";
import type { Clock } from "../core/clock.ts";
import { type BackoffPolicy, backoffMs } from "../core/retryPolicy.ts";
import { gitClient, gitErrorText, redactUrlCredentials } from "./gitClient.ts";

/** Push backoff: 1 s, 2 s, 4 s, … capped at 30 s, no jitter (one pusher per vault). */
const PUSH_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000, jitter: "none" };
/** simple-git kills a push that prints nothing for this long (a hung SSH or HTTP connection). */
const PUSH_SILENCE_LIMIT_MS = 120_000;

export interface PushResult {
  pushed: boolean;
  attempts: number;
  error?: string;
}

/** Pushes HEAD to `remote`, retrying with backoff through the clock; never throws. */
export async function pushWithRetry(o: {
  dir: string;
  remote: string;
  attempts: number;
  clock: Clock;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}): Promise<PushResult> {
  const git = gitClient(o.dir, {}, PUSH_SILENCE_LIMIT_MS);
  let error = "";
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      // Pushing to the URL itself keeps it (and any token in it) out of .git/config.
      await git.raw(["push", "--no-verify", "--porcelain", "--", o.remote, "HEAD"]);
      if (attempt > 1) o.log?.info({ attempts: attempt }, "vault: pushed after retrying");
      return { pushed: true, attempts: attempt };
    } catch (err) {
      error = gitErrorText(err);
      if (attempt < o.attempts) {
        const delay = backoffMs(attempt, Math.random, PUSH_BACKOFF);
        o.log?.warn({ attempt, retryInMs: delay, error }, "vault: push failed, retrying");
        await o.clock.sleep(delay);
      }
    }
  }
  o.log?.warn(
    { attempts: o.attempts, remote: redactUrlCredentials(o.remote), error },
    "vault: push failed; the commit is kept locally and goes out with the next push",
  );
  return { pushed: false, attempts: o.attempts, error };
}

/**
 * Starts `git gc --auto --quiet` in `dir`, detached from this process's lifetime (unref'd) and with no
 * GIT_* variable of the caller's, which could point it at another repository.
 */
export function startGc(dir: string): ChildProcess {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.toUpperCase().startsWith("GIT_")) env[k] = v;
  }
  const child = spawn("git", ["gc", "--auto", "--quiet"], { cwd: dir, env, stdio: "ignore" });
  child.unref();
  return child;
}
