import type { Awaitable } from "../core/awaitable.ts";
import type { CheckedAppend } from "./events.ts";
import type { LedgerEntry } from "./ledgerEntry.ts";
import type { AppendOptions, Checkpoint, LedgerQuery, LedgerWriteFault } from "./ledgerTypes.ts";

export type { Awaitable } from "../core/awaitable.ts";

/**
 * The custodian ledger as the rest of the system may use it, whichever backend holds it: `Ledger`
 * (SQLite, MAOS_HOME/ledger.db) and `PgLedger` (PostgreSQL, DATABASE_URL) both are one. Both chain
 * through chainBatch, so their rows, Merkle roots and signed checkpoints are the same bytes. Reads
 * are Awaitable: a caller written against this interface works on both. The app still holds the
 * SQLite `Ledger` directly (its synchronous reads); moving its callers onto this interface is the
 * storage seam's next step (README: Running more than one replica).
 */
export interface LedgerStore {
  readonly origin: string;
  readonly environment: string;
  readonly verifierKey: string;
  /** Where it is: a file path, or the database's URL without its password. */
  readonly path: string;
  append<T extends string>(e: CheckedAppend<T>, opts?: AppendOptions): Promise<LedgerEntry>;
  /** As of this instance's last write or sync. */
  size(): number;
  head(): { seq: number; hash: string };
  root(): string;
  /** Catches up with what other writers appended. */
  sync(): Awaitable<unknown>;
  tail(n: number): Awaitable<LedgerEntry[]>;
  byCorrelation(id: string): Awaitable<LedgerEntry[]>;
  query(filters?: LedgerQuery): Awaitable<LedgerEntry[]>;
  checkpoint(): Awaitable<Checkpoint>;
  latestCheckpoint(): Awaitable<Checkpoint | undefined>;
  consistencyProof(oldSize: number): Awaitable<string[]>;
  writeFault(): LedgerWriteFault | undefined;
  onWriteFault(listener: (fault: LedgerWriteFault) => void): () => void;
  close(): Awaitable<void>;
}
