import path from "node:path";
import pg from "pg";
import { CodexError } from "../../core/CodexError.ts";
import type { Clock } from "../../core/clock.ts";
import { pgErrorText, pgLocation } from "../../core/pgLocation.ts";
import { migratePg } from "../../core/pgMigrate.ts";
import { utcIso } from "../../core/timestamps.ts";
import { chainBatch } from "../chainBatch.ts";
import type { CheckedAppend } from "../events.ts";
import { assertGenesis, genesisAppend } from "../genesis.ts";
import { type LedgerEntry, ZERO_HASH } from "../ledgerEntry.ts";
import { LEDGER_SCHEMA_VERSION, type LedgerRowTuple } from "../ledgerSchema.ts";
import type {
  AppendOptions,
  Checkpoint,
  LedgerQuery,
  LedgerWriteFault,
  Prepared,
  StoredCheckpoint,
} from "../ledgerTypes.ts";
import { MerkleFrontier } from "../MerkleFrontier.ts";
import { prepareAppend } from "../prepareAppend.ts";
import { formatCheckpoint, type NoteSigner, signNote } from "../signedNote.ts";
import { WriteFaults } from "../writeFaults.ts";
import { catchUp, FRONTIER_KEY } from "./pgCatchUp.ts";
import { describePgWriteError } from "./pgErrors.ts";
import {
  checkpointsAfter,
  consistencyProofHex,
  correlationEntries,
  latestCheckpoint,
  queryEntries,
  rowsAfter,
  tailEntries,
} from "./pgLedgerQueries.ts";

export interface PgLedgerOptions {
  /** DATABASE_URL: postgres://user:password@host:port/database. */
  url: string;
  signer: NoteSigner;
  clock: Clock;
  environment: string;
  origin: string;
  /** Connections for reads (tail, queries, proofs); the writer has one of its own. */
  readConnections?: number;
}

/**
 * Every writer of one database takes this transaction-level advisory lock around its group commit, so
 * the entries of all replicas form one total order and one chain.
 */
export const LEDGER_WRITE_LOCK = 0x4d414f53_02;
/** The ledger's SQL migrations (its tables and the outbox's), applied as component `ledger`. */
export const PG_LEDGER_MIGRATIONS = path.join(import.meta.dirname, "migrations");

interface Waiter {
  prepared: Prepared;
  resolve: (e: LedgerEntry) => void;
  reject: (err: unknown) => void;
}

/**
 * The custodian ledger on PostgreSQL (`DATABASE_URL`): the same canonical rows, hash chain, RFC 6962
 * Merkle tree and signed checkpoints as the SQLite ledger (both chain through `chainBatch`), shared by
 * every replica. Appends are group-committed: while one transaction is in flight the next batch gathers,
 * and each batch is one transaction under LEDGER_WRITE_LOCK (one total order across writers) that
 * catches up with the other writers' rows, inserts its own and their outbox rows, and saves the frontier.
 * A resolved append is committed (synchronous_commit as the server has it; the default is durable).
 */
export class PgLedger {
  readonly origin: string;
  readonly environment: string;
  readonly verifierKey: string;
  /** The database, without its password: what messages name. */
  readonly path: string;
  #writer: pg.Client;
  /** Set when the writer's connection failed: the next write reconnects first. */
  #writerLost = false;
  readonly #url: string;
  readonly #readers: pg.Pool;
  readonly #signer: NoteSigner;
  readonly #clock: Clock;
  readonly #faults = new WriteFaults();
  #frontier = new MerkleFrontier();
  #headHash = ZERO_HASH;
  #queue: Waiter[] = [];
  #inFlight: Promise<void> | undefined;
  #flushScheduled = false;
  #closed = false;

  private constructor(opts: PgLedgerOptions, writer: pg.Client, readers: pg.Pool) {
    this.origin = opts.origin;
    this.environment = opts.environment;
    this.verifierKey = opts.signer.verifierKey;
    this.path = pgLocation(opts.url);
    this.#signer = opts.signer;
    this.#clock = opts.clock;
    this.#writer = writer;
    this.#url = opts.url;
    this.#readers = readers;
    this.#watchWriter(writer);
  }

  #watchWriter(writer: pg.Client): void {
    writer.on("error", () => {
      // A dropped connection (server restart, failover, network): the next write reconnects.
      if (writer === this.#writer) this.#writerLost = true;
    });
  }

  /** The writer's connection, reconnected when the last one was lost. */
  async #writerClient(): Promise<pg.Client> {
    if (!this.#writerLost) return this.#writer;
    const fresh = new pg.Client({ connectionString: this.#url, application_name: "maos-ledger-writer" });
    this.#watchWriter(fresh);
    await fresh.connect();
    const old = this.#writer;
    this.#writer = fresh;
    this.#writerLost = false;
    old.end().catch(() => {});
    return fresh;
  }

  /** Connects, applies the ledger's migrations, writes the genesis on an empty database, and loads the head. */
  static async open(opts: PgLedgerOptions): Promise<PgLedger> {
    const where = pgLocation(opts.url);
    const writer = new pg.Client({ connectionString: opts.url, application_name: "maos-ledger-writer" });
    const readers = new pg.Pool({
      connectionString: opts.url,
      max: opts.readConnections ?? 4,
      application_name: "maos-ledger-reader",
    });
    // An idle pooled connection the server dropped must not crash the process; the next query reconnects.
    readers.on("error", () => {});
    try {
      await writer.connect();
    } catch (cause) {
      await readers.end().catch(() => {});
      throw new CodexError("LEDGER_BROKEN", `cannot connect to the ledger database ${where}`, {
        hint: `check DATABASE_URL and that PostgreSQL is up and reachable (${pgErrorText(cause).text})`,
        cause,
      });
    }
    const ledger = new PgLedger(opts, writer, readers);
    try {
      await migratePg(writer, "ledger", PG_LEDGER_MIGRATIONS);
      await ledger.#load();
      return ledger;
    } catch (err) {
      await ledger.close().catch(() => {});
      throw err;
    }
  }

  async #load(): Promise<void> {
    await this.#writer.query(
      "INSERT INTO ledger_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO NOTHING",
      [String(LEDGER_SCHEMA_VERSION)],
    );
    const version = await this.#writer.query<{ value: string }>(
      "SELECT value FROM ledger_meta WHERE key = 'schema_version'",
    );
    if (Number(version.rows[0]?.value) !== LEDGER_SCHEMA_VERSION) {
      throw new CodexError(
        "LEDGER_BROKEN",
        `ledger ${this.path} has schema version ${version.rows[0]?.value}; this build reads ${LEDGER_SCHEMA_VERSION}`,
        { hint: "point DATABASE_URL at the database this version created, or at a fresh one" },
      );
    }
    await this.#writeBatch([prepareAppend(genesisAppend(this.origin, this.verifierKey), {}, this.#clock)], {
      genesis: true,
    });
    const genesis = await this.#writer.query<{ canonical: string }>(
      "SELECT canonical FROM ledger WHERE seq = 0",
    );
    assertGenesis(genesis.rows[0]?.canonical, this.path, this.verifierKey, this.origin);
  }

  /** Inside a transaction: the head and frontier up to the rows other replicas appended (pgCatchUp). */
  #catchUp(
    client: pg.ClientBase,
    frontier: MerkleFrontier,
  ): Promise<{ frontier: MerkleFrontier; head: string }> {
    return catchUp(client, { frontier, head: this.#headHash, path: this.path });
  }

  /**
   * One transaction under LEDGER_WRITE_LOCK, caught up with the other writers: `work` gets the ledger as
   * it is now and returns what it wrote (the new head and frontier) and its result. Only a commit moves
   * the in-memory state; a failure rolls back and is kept as the write fault.
   */
  async #locked<T>(
    count: number,
    work: (
      client: pg.Client,
      now: { frontier: MerkleFrontier; head: string },
    ) => Promise<{ frontier: MerkleFrontier; head: string; result: T }>,
  ): Promise<T> {
    let client: pg.Client | undefined;
    try {
      client = await this.#writerClient();
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [LEDGER_WRITE_LOCK]);
      const done = await work(client, await this.#catchUp(client, this.#frontier));
      await client.query("COMMIT");
      this.#frontier = done.frontier;
      this.#headHash = done.head;
      this.#faults.clear();
      return done.result;
    } catch (cause) {
      await client?.query("ROLLBACK").catch(() => {});
      if (cause instanceof CodexError) throw cause;
      throw this.#faults.failed(this.path, count, cause, utcIso(this.#clock.now()), describePgWriteError);
    }
  }

  /** The rows, their outbox rows and the frontier, in one locked transaction. */
  #writeBatch(batch: readonly Prepared[], opts: { genesis?: boolean } = {}): Promise<LedgerEntry[]> {
    return this.#locked(batch.length, async (client, now) => {
      // Whichever replica gets the lock first writes the genesis; the others find it there.
      if (opts.genesis && now.frontier.size > 0) return { ...now, result: [] };
      const frontier = now.frontier === this.#frontier ? now.frontier.clone() : now.frontier;
      const chained = chainBatch(batch, this.environment, frontier, now.head);
      await client.query(
        "INSERT INTO ledger (seq, entry_hash, canonical) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
        [
          chained.rows.map((r) => r.seq),
          chained.rows.map((r) => r.entryHash),
          chained.rows.map((r) => r.canonical),
        ],
      );
      const outbox = chained.rows.flatMap((r) =>
        r.outbox.map((o) => [r.seq, o.sink, o.body, r.timestampUtc] as const),
      );
      if (outbox.length > 0) {
        // Evidence rows commit (or roll back) with the entries that queued them.
        await client.query(
          "INSERT INTO outbox (ledger_seq, sink, body, created_utc) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])",
          [
            outbox.map((o) => o[0]),
            outbox.map((o) => o[1]),
            outbox.map((o) => o[2]),
            outbox.map((o) => o[3]),
          ],
        );
      }
      await client.query(
        "INSERT INTO ledger_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [FRONTIER_KEY, JSON.stringify(frontier.serialize())],
      );
      return { frontier, head: chained.head, result: chained.entries };
    });
  }

  /** The last failed write, until a write succeeds. */
  writeFault(): LedgerWriteFault | undefined {
    return this.#faults.current;
  }

  onWriteFault(listener: (fault: LedgerWriteFault) => void): () => void {
    return this.#faults.listen(listener);
  }

  /**
   * Queues an append; appends made while the previous group commit is in flight are written together in
   * the next one, then each promise resolves with its committed entry. Invalid input rejects at once.
   */
  append<T extends string>(e: CheckedAppend<T>, opts?: AppendOptions): Promise<LedgerEntry> {
    try {
      this.#assertOpen();
      const prepared = prepareAppend(e, opts ?? {}, this.#clock);
      return new Promise((resolve, reject) => {
        this.#queue.push({ prepared, resolve, reject });
        this.#schedule();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #schedule(): void {
    if (this.#flushScheduled || this.#inFlight) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#inFlight = this.#flush().finally(() => {
        this.#inFlight = undefined;
        if (this.#queue.length > 0) this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    const waiters = this.#queue;
    if (waiters.length === 0) return;
    this.#queue = [];
    let entries: LedgerEntry[];
    try {
      entries = await this.#writeBatch(waiters.map((w) => w.prepared));
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    waiters.forEach((w, i) => {
      w.resolve(entries[i] as LedgerEntry);
    });
  }

  /** Waits until every append queued so far is committed (or failed). */
  async flushed(): Promise<void> {
    while (this.#inFlight || this.#flushScheduled || this.#queue.length > 0) {
      if (this.#inFlight) await this.#inFlight;
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Catches up with what other replicas appended: size(), head() and root() are as of the last write or sync. */
  async sync(): Promise<this> {
    this.#assertOpen();
    const client = await this.#readers.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const caught = await this.#catchUp(client, this.#frontier);
      await client.query("COMMIT");
      // A write of ours may have moved further meanwhile; keep whichever saw more.
      if (caught.frontier.size > this.#frontier.size) {
        this.#frontier = caught.frontier;
        this.#headHash = caught.head;
      }
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    return this;
  }

  size(): number {
    return this.#frontier.size;
  }

  head(): { seq: number; hash: string } {
    return { seq: this.#frontier.size - 1, hash: this.#headHash };
  }

  root(): string {
    return this.#frontier.rootHex();
  }

  /** The last n entries, oldest first. */
  tail(n: number): Promise<LedgerEntry[]> {
    this.#assertOpen();
    return tailEntries(this.#readers, n);
  }

  /** Every entry of one correlation thread, oldest first. */
  byCorrelation(id: string): Promise<LedgerEntry[]> {
    this.#assertOpen();
    return correlationEntries(this.#readers, id);
  }

  /** Entries filtered by event type, oldest first unless `newestFirst`; `limit` caps the count. */
  query(filters: LedgerQuery = {}): Promise<LedgerEntry[]> {
    this.#assertOpen();
    return queryEntries(this.#readers, filters);
  }

  /**
   * Signs the ledger as it is now (every replica's entries) and stores the checkpoint, under the write
   * lock, so the checkpoints table never holds sizes out of order.
   */
  async checkpoint(): Promise<Checkpoint> {
    this.#assertOpen();
    await this.flushed();
    return this.#locked(0, async (client, now) => {
      const size = now.frontier.size;
      const root = now.frontier.root();
      const note = signNote(formatCheckpoint({ origin: this.origin, size, root }), this.#signer);
      const rootHex = root.toString("hex");
      await client.query(
        "INSERT INTO ledger_checkpoints (size, root, note, created_utc) VALUES ($1, $2, $3, $4)",
        [size, rootHex, note, utcIso(this.#clock.now())],
      );
      return { ...now, result: { size, root: rootHex, note } };
    });
  }

  latestCheckpoint(): Promise<Checkpoint | undefined> {
    this.#assertOpen();
    return latestCheckpoint(this.#readers);
  }

  /** Up to `limit` stored rows after seq `after`, and the signed checkpoints after id `afterId`: what a mirror copies. */
  rowsAfter(after: number, limit: number): Promise<LedgerRowTuple[]> {
    this.#assertOpen();
    return rowsAfter(this.#readers, after, limit);
  }

  checkpointsAfter(afterId: number): Promise<(StoredCheckpoint & { id: number })[]> {
    this.#assertOpen();
    return checkpointsAfter(this.#readers, afterId);
  }

  /** RFC 6962 consistency proof (hex) from the first `oldSize` entries to the current tree. O(size). */
  consistencyProof(oldSize: number): Promise<string[]> {
    this.#assertOpen();
    return consistencyProofHex(this.#readers, oldSize, this.size());
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new CodexError("INTERNAL", "the ledger is closed", {
        hint: "open the ledger again with PgLedger.open",
      });
    }
  }

  /** Commits any queued appends, then closes the connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flushed().catch(() => {});
    this.#closed = true;
    await Promise.allSettled([this.#writer.end(), this.#readers.end()]);
  }
}
