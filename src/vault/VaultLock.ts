import { readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";

/** Who holds a lock, as written beside it while it is held. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export interface HeldLock {
  /** The previous holder died while holding it: what it was doing may be half done. */
  previousCrashed: LockHolder | "unknown" | undefined;
  release(): Promise<void>;
}

/** Between two tries for a lock another process holds. Real time: the holder is another process. */
const POLL_MS = 25;
const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * A lock shared by every process on this machine that opens the same path, released by the kernel
 * when its holder dies (even by kill -9), so a crashed holder cannot leave it behind: it is SQLite's
 * write lock on a small database file (a POSIX advisory lock underneath), taken with BEGIN IMMEDIATE and
 * never committed. Waiting polls, so the event loop keeps running. While it is held, `<path>.owner`
 * names the holder; finding that file on acquiring means the previous holder died inside its critical
 * section, and the caller repairs what it may have left half done.
 */
export class CrossProcessLock {
  readonly path: string;
  readonly #what: string;
  readonly #timeoutMs: number;

  constructor(path: string, what: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.path = path;
    this.#what = what;
    this.#timeoutMs = timeoutMs;
  }

  get ownerPath(): string {
    return `${this.path}.owner`;
  }

  async acquire(): Promise<HeldLock> {
    const started = Date.now();
    for (;;) {
      const db = this.#open();
      try {
        db.exec("BEGIN IMMEDIATE");
        return await this.#held(db);
      } catch (err) {
        db.close();
        if (!isBusy(err)) {
          throw new CodexError(
            "VAULT_BROKEN",
            `cannot take the ${this.#what} lock ${this.path}: ${message(err)}`,
            {
              hint: `check that the folder holding ${this.path} is writable`,
              cause: err,
            },
          );
        }
      }
      if (Date.now() - started > this.#timeoutMs) {
        const holder = await readHolder(this.ownerPath);
        throw new CodexError(
          "VAULT_BROKEN",
          `the ${this.#what} lock ${this.path} has been held for more than ${Math.round(this.#timeoutMs / 1000)} s${holder ? ` by pid ${holder.pid} on ${holder.host} (since ${holder.since})` : ""}`,
          {
            hint: "wait for that process to finish, or stop it; a process that dies releases the lock by itself",
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The lock if no one holds it now, else undefined at once (no waiting). */
  async tryAcquire(): Promise<HeldLock | undefined> {
    const db = this.#open();
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      db.close();
      if (isBusy(err)) return undefined;
      throw new CodexError(
        "VAULT_BROKEN",
        `cannot take the ${this.#what} lock ${this.path}: ${message(err)}`,
        {
          hint: `check that the folder holding ${this.path} is writable`,
          cause: err,
        },
      );
    }
    try {
      return await this.#held(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  #open(): Database.Database {
    try {
      const db = new Database(this.path);
      db.pragma("busy_timeout = 0");
      return db;
    } catch (err) {
      throw new CodexError(
        "VAULT_BROKEN",
        `cannot open the ${this.#what} lock ${this.path}: ${message(err)}`,
        {
          hint: `check that the folder holding ${this.path} exists and is writable`,
          cause: err,
        },
      );
    }
  }

  async #held(db: Database.Database): Promise<HeldLock> {
    const left = await stat(this.ownerPath).then(
      () => true,
      () => false,
    );
    const previousCrashed = left ? ((await readHolder(this.ownerPath)) ?? "unknown") : undefined;
    const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
    await writeFile(this.ownerPath, `${JSON.stringify(me)}\n`);
    let released = false;
    return {
      previousCrashed,
      release: async () => {
        if (released) return;
        released = true;
        // The owner file goes first: if this process dies between the two, the next holder finds a
        // clean state (the work was done) and no owner file.
        await rm(this.ownerPath, { force: true });
        try {
          db.exec("ROLLBACK");
        } finally {
          db.close();
        }
      },
    };
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, "utf8")) as Partial<LockHolder>;
    return typeof h.pid === "number" && typeof h.host === "string" && typeof h.since === "string"
      ? { pid: h.pid, host: h.host, since: h.since }
      : undefined;
  } catch {
    return undefined;
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Processes whose working directory is `dir` and whose name starts with `git`: a vault's git commands
 * run there. Undefined where this cannot be known (no /proc: not Linux). A git process its parent left
 * behind when it was killed keeps running; this is how the vault tells one from a stale index.lock.
 */
export async function gitProcessesIn(dir: string): Promise<number[] | undefined> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return undefined;
  }
  const found: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
      .map(async (e) => {
        try {
          if ((await readlink(join("/proc", e, "cwd"))) !== dir) return;
          const comm = (await readFile(join("/proc", e, "comm"), "utf8")).trim();
          if (comm.startsWith("git")) found.push(Number(e));
        } catch {
          // Gone, or not ours to read.
        }
      }),
  );
  return found;
}
