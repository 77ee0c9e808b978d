import type { Clock } from "../../core/clock.ts";
import type { CheckedAppend } from "../events.ts";
import { Ledger } from "../Ledger.ts";
import type { LedgerHandle } from "../LedgerHandle.ts";
import type { LedgerEntry } from "../ledgerEntry.ts";
import type { AppendOptions, Checkpoint, LedgerQuery, LedgerWriteFault } from "../ledgerTypes.ts";
import type { NoteSigner } from "../signedNote.ts";
import { LedgerMirror } from "./LedgerMirror.ts";
import { PgLedger } from "./PgLedger.ts";

export interface MirroredLedgerOptions {
  /** DATABASE_URL: the shared ledger every replica writes. */
  url: string;
  /** This replica's mirror file (MAOS_HOME/ledger.db). */
  path: string;
  signer: NoteSigner;
  clock: Clock;
  environment: string;
  origin: string;
  /** The shared ledger's pool of read connections (PgLedger's default: 4). */
  readConnections?: number | undefined;
}

/**
 * One replica's ledger when several share PostgreSQL: appends and checkpoints go to the shared
 * PgLedger (one total order across replicas), and everything read comes from this replica's mirror
 * file, pulled after each write and on `refresh()`, so reads stay synchronous and the custody checks
 * and `maos ledger verify` run on a local file that is a verified prefix of the shared ledger.
 * `size()`, `head()` and `root()` are the mirror's: as of the last pull.
 */
export class MirroredLedger implements LedgerHandle {
  readonly origin: string;
  readonly environment: string;
  readonly verifierKey: string;
  /** The mirror file: what the custody checks and `maos ledger verify` read. */
  readonly path: string;
  readonly shared: PgLedger;
  readonly #local: Ledger;
  readonly #mirror: LedgerMirror;

  private constructor(shared: PgLedger, local: Ledger) {
    this.shared = shared;
    this.#local = local;
    this.#mirror = new LedgerMirror(local, shared);
    this.origin = shared.origin;
    this.environment = shared.environment;
    this.verifierKey = shared.verifierKey;
    this.path = local.path;
  }

  /** Connects to the shared ledger, opens (or creates) the mirror file, and pulls what it lacks. */
  static async open(opts: MirroredLedgerOptions): Promise<MirroredLedger> {
    const { url, path, readConnections, ...common } = opts;
    const shared = await PgLedger.open({
      url,
      ...common,
      ...(readConnections !== undefined ? { readConnections } : {}),
    });
    let local: Ledger | undefined;
    try {
      local = Ledger.open({ path, ...common, mirror: true });
      const ledger = new MirroredLedger(shared, local);
      await ledger.refresh();
      return ledger;
    } catch (err) {
      local?.close();
      await shared.close();
      throw err;
    }
  }

  /** Pulls what other replicas appended since the last pull; returns how many entries arrived. */
  refresh(): Promise<number> {
    return this.#mirror.pull();
  }

  /** Appends to the shared ledger (group-committed there), then pulls, so this replica reads its own write. */
  async append<T extends string>(e: CheckedAppend<T>, opts?: AppendOptions): Promise<LedgerEntry> {
    const entry = await this.shared.append(e, opts);
    await this.#mirror.pull();
    return entry;
  }

  /** Signs the shared ledger as it is now (every replica's entries) and pulls it with its checkpoint. */
  async checkpoint(): Promise<Checkpoint> {
    const cp = await this.shared.checkpoint();
    await this.#mirror.pull();
    return cp;
  }

  size(): number {
    return this.#local.size();
  }

  head(): { seq: number; hash: string } {
    return this.#local.head();
  }

  root(): string {
    return this.#local.root();
  }

  /** Re-reads the mirror file (another process of this replica may have pulled); `refresh()` asks the source. */
  sync(): this {
    this.#local.sync();
    return this;
  }

  tail(n: number): LedgerEntry[] {
    return this.#local.tail(n);
  }

  byCorrelation(id: string): LedgerEntry[] {
    return this.#local.byCorrelation(id);
  }

  query(filters: LedgerQuery = {}): LedgerEntry[] {
    return this.#local.query(filters);
  }

  payloadFields(
    filters: Omit<LedgerQuery, "newestFirst"> & { sinceUtc?: string },
    paths: readonly string[],
  ): unknown[][] {
    return this.#local.payloadFields(filters, paths);
  }

  latestCheckpoint(): Checkpoint | undefined {
    return this.#local.latestCheckpoint();
  }

  consistencyProof(oldSize: number): string[] {
    return this.#local.consistencyProof(oldSize);
  }

  /** The shared ledger's last failed write, until one succeeds. */
  writeFault(): LedgerWriteFault | undefined {
    return this.shared.writeFault();
  }

  onWriteFault(listener: (fault: LedgerWriteFault) => void): () => void {
    return this.shared.onWriteFault(listener);
  }

  async close(): Promise<void> {
    await this.shared.close();
    this.#local.close();
  }
}
