import { CodexError } from "../core/CodexError.ts";
import { LEDGER_BUSY_TIMEOUT_MS, type LedgerWriteFault } from "./ledgerTypes.ts";

/** The ledger's last failed write, kept until a write succeeds, and who to tell when writes start failing. */
export class WriteFaults {
  #fault: LedgerWriteFault | undefined;
  readonly #listeners = new Set<(fault: LedgerWriteFault) => void>();

  get current(): LedgerWriteFault | undefined {
    return this.#fault;
  }

  clear(): void {
    this.#fault = undefined;
  }

  listen(listener: (fault: LedgerWriteFault) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Records a failed write of `count` entries (at `at`), tells the listeners on the first one, and returns
   * the error. `describe` words the cause for the backend (SQLite's by default).
   */
  failed(
    path: string,
    count: number,
    cause: unknown,
    at: string,
    describe: WriteErrorDescriber = describeWriteError,
  ): CodexError {
    const { message, hint, sqliteCode, brief } = describe(path, count, cause);
    const first = this.#fault === undefined;
    this.#fault = {
      at,
      message,
      ...(brief !== undefined ? { brief } : {}),
      sqliteCode,
      failures: (this.#fault?.failures ?? 0) + 1,
    };
    if (first) {
      for (const listener of this.#listeners) {
        try {
          listener(this.#fault);
        } catch {
          // A listener's failure must not hide the write error from the caller.
        }
      }
    }
    return new CodexError("LEDGER_BROKEN", message, { hint, cause, details: { path, sqliteCode } });
  }
}

/** Words a backend gives a failed write: the full message, the hint, its code, and words for /health. */
export type WriteErrorDescriber = (
  path: string,
  count: number,
  cause: unknown,
) => { message: string; hint: string; sqliteCode: string | undefined; brief?: string };

/** SQLite's error, said plainly: what failed, where, and what to do about that particular cause. */
export function describeWriteError(
  path: string,
  count: number,
  cause: unknown,
): { message: string; hint: string; sqliteCode: string | undefined } {
  const err = cause as { code?: unknown; message?: unknown } | undefined;
  const sqliteCode = typeof err?.code === "string" ? err.code : undefined;
  const text = typeof err?.message === "string" ? err.message : String(cause);
  const what = `could not write ${count} ledger entries to ${path}: ${text}${sqliteCode ? ` (${sqliteCode})` : ""}`;
  const code = sqliteCode ?? "";
  let hint: string;
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    hint = `another connection has held ${path}'s write lock for more than ${LEDGER_BUSY_TIMEOUT_MS / 1000} s (an open sqlite3 shell in a transaction, or a hung process): end it`;
  } else if (code.startsWith("SQLITE_FULL")) {
    hint = `the file system holding ${path} is full: free space there`;
  } else if (code.startsWith("SQLITE_READONLY")) {
    hint = `${path} or its folder cannot be written by this process: check the file's owner and mode and how the volume is mounted`;
  } else if (code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_CANTOPEN")) {
    hint = `the operating system refused the write to ${path} or its -wal/-shm files (disk error, quota or file-size limit): check the volume`;
  } else if (code.startsWith("SQLITE_CONSTRAINT")) {
    hint = `the ledger rejected the entry (${text}): run \`maos ledger verify\``;
  } else {
    hint = `run \`maos ledger verify\`; check that ${path} is a MAOS ledger on a writable volume`;
  }
  return { message: what, hint: `${hint}; nothing from this batch was written`, sqliteCode };
}
