import type { Awaitable } from "../core/awaitable.ts";
import { CodexError } from "../core/CodexError.ts";
import type { CheckedAppend } from "./events.ts";
import { Ledger } from "./Ledger.ts";
import type { LedgerEntry } from "./ledgerEntry.ts";
import type { AppendOptions, Checkpoint, LedgerQuery, LedgerWriteFault } from "./ledgerTypes.ts";

/**
 * The ledger as the app holds it: reads answered at once from a local SQLite file, writes awaited. On
 * one machine that is `Ledger` itself (MAOS_HOME/ledger.db); with several replicas on PostgreSQL it is
 * `MirroredLedger`, whose appends and checkpoints go to the shared ledger and whose reads come from the
 * replica's verified mirror. So every caller awaits `append` and `checkpoint`, and reads stay synchronous.
 */
export interface LedgerHandle {
  readonly origin: string;
  readonly environment: string;
  readonly verifierKey: string;
  /** The local file the reads, the custody checks and `maos ledger verify` use. */
  readonly path: string;
  append<T extends string>(e: CheckedAppend<T>, opts?: AppendOptions): Promise<LedgerEntry>;
  /** Signs the ledger as it is now (every writer's entries) and stores the checkpoint. */
  checkpoint(): Awaitable<Checkpoint>;
  size(): number;
  head(): { seq: number; hash: string };
  root(): string;
  /** Re-reads the local file (another process may have written it). */
  sync(): LedgerHandle;
  tail(n: number): LedgerEntry[];
  byCorrelation(id: string): LedgerEntry[];
  query(filters?: LedgerQuery): LedgerEntry[];
  payloadFields(
    filters: Omit<LedgerQuery, "newestFirst"> & { sinceUtc?: string },
    paths: readonly string[],
  ): unknown[][];
  latestCheckpoint(): Checkpoint | undefined;
  consistencyProof(oldSize: number): string[];
  writeFault(): LedgerWriteFault | undefined;
  onWriteFault(listener: (fault: LedgerWriteFault) => void): () => void;
  close(): Awaitable<void>;
}

/**
 * The SQLite `Ledger` behind a handle, for the synchronous and bulk writes only a single machine's
 * ledger.db offers (benches, tests, imports); a shared PostgreSQL ledger is refused, saying so.
 */
export function localLedger(handle: LedgerHandle): Ledger {
  if (handle instanceof Ledger) return handle;
  throw new CodexError("USAGE", `the ledger at ${handle.path} mirrors a shared PostgreSQL ledger`, {
    hint: "synchronous and bulk appends are for a single machine's ledger.db: unset DATABASE_URL, or append (awaited)",
  });
}
