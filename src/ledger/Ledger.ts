// Over 500 lines on purpose: one writer's whole append path (group commit, catch-up, faults, replication) in one place.
import type Database from "better-sqlite3";
import "./sqliteUri.ts";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { utcIso } from "../core/timestamps.ts";
import { chainBatch } from "./chainBatch.ts";
import type { CheckedAppend } from "./events.ts";
import { genesisAppend } from "./genesis.ts";
import { checkGenesisRow, openLedgerDb, rebuildFrontier } from "./ledgerDb.ts";
import { type LedgerAppend, type LedgerEntry, ZERO_HASH } from "./ledgerEntry.ts";
import {
  consistencyProofHex,
  correlationEntries,
  payloadFieldRows,
  queryEntries,
  tailEntries,
} from "./ledgerQueries.ts";
import { LEDGER_COLUMNS, LEDGER_SCHEMA_VERSION, type LedgerRowTuple } from "./ledgerSchema.ts";
import type {
  AppendOptions,
  Checkpoint,
  LedgerOptions,
  LedgerQuery,
  LedgerWriteFault,
  Prepared,
  StoredCheckpoint,
} from "./ledgerTypes.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import { prepareAppend } from "./prepareAppend.ts";
import { rowsToReplicate } from "./replicatedRows.ts";
import { formatCheckpoint, type NoteSigner, signNote } from "./signedNote.ts";
import { WriteFaults } from "./writeFaults.ts";

export type { LedgerAppend, LedgerEntry, Level } from "./ledgerEntry.ts";
export type {
  AppendOptions,
  Checkpoint,
  LedgerOptions,
  LedgerQuery,
  LedgerWriteFault,
  OutboxInsert,
} from "./ledgerTypes.ts";
export { LEDGER_BUSY_TIMEOUT_MS } from "./ledgerTypes.ts";

interface Waiter {
  prepared: Prepared;
  resolve: (e: LedgerEntry) => void;
  reject: (err: unknown) => void;
}

const FRONTIER_KEY = "merkle_frontier";

/**
 * The custodian ledger: append-only, hash-chained (each entry's canonical bytes include the previous
 * entry's hash), Merkle-rooted (RFC 6962) and attested by Ed25519-signed C2SP checkpoints.
 *
 * The Merkle frontier is persisted in `meta` in the same transaction as the rows it covers, so opening
 * a ledger reads ~log2(n) hashes; if it does not match the rows (say, a copy made by other tools), open
 * rebuilds it in one pass over entry_hash.
 */
export class Ledger {
  readonly origin: string;
  readonly environment: string;
  readonly verifierKey: string;
  readonly path: string;
  readonly #db: Database.Database;
  readonly #signer: NoteSigner;
  readonly #clock: Clock;
  readonly #mirror: boolean;
  #frontier: MerkleFrontier;
  #headHash: string;
  #queue: Waiter[] = [];
  #flushScheduled = false;
  #closed = false;
  readonly #faults = new WriteFaults();
  readonly #insert: Database.Statement;
  readonly #maxSeq: Database.Statement;
  readonly #insertOutbox: Database.Statement;
  readonly #saveFrontier: Database.Statement;

  private constructor(opts: LedgerOptions, db: Database.Database) {
    this.path = opts.path;
    this.origin = opts.origin;
    this.environment = opts.environment;
    this.verifierKey = opts.signer.verifierKey;
    this.#db = db;
    this.#signer = opts.signer;
    this.#clock = opts.clock;
    this.#mirror = opts.mirror === true;
    this.#insert = db.prepare(`INSERT INTO ledger (${LEDGER_COLUMNS}) VALUES (?, ?, ?)`);
    this.#insertOutbox = db.prepare(
      "INSERT INTO outbox (ledger_seq, sink, body, created_utc) VALUES (?, ?, ?, ?)",
    );
    this.#maxSeq = db.prepare("SELECT max(seq) FROM ledger").pluck();
    this.#saveFrontier = db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    this.#frontier = new MerkleFrontier();
    this.#headHash = ZERO_HASH;
  }

  static open(opts: LedgerOptions): Ledger {
    const db = openLedgerDb(opts);
    try {
      const ledger = new Ledger(opts, db);
      ledger.#load();
      return ledger;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  #load(): void {
    const empty = this.#db.prepare("SELECT 1 FROM ledger LIMIT 1").get() === undefined;
    // A mirror's genesis is its source's, replicated with the rest.
    if (empty && this.#mirror) return;
    if (empty) {
      // Two processes may open a fresh home at once: the genesis is written under the write lock, by
      // whichever gets it first; the other finds it there (#writeBatch re-reads the head inside the lock).
      this.#writeGenesis();
    } else {
      // One read transaction: the head, the saved frontier and the rows are one snapshot, whatever other
      // processes append meanwhile.
      this.#db.transaction(() => this.#catchUp())();
    }
    checkGenesisRow(this.#db, this.path, this.verifierKey, this.origin);
  }

  /** Loads the head and the Merkle frontier of a ledger whose last entry is `maxSeq` (hash `headHash`). */
  #reload(maxSeq: number, headHash?: string): void {
    const db = this.#db;
    const size = maxSeq + 1;
    this.#headHash =
      headHash ?? (db.prepare("SELECT entry_hash FROM ledger WHERE seq = ?").pluck().get(maxSeq) as string);
    const saved = db.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(FRONTIER_KEY) as
      | string
      | undefined;
    let frontier: MerkleFrontier | undefined;
    try {
      if (saved !== undefined) frontier = MerkleFrontier.deserialize(JSON.parse(saved));
    } catch {
      frontier = undefined;
    }
    // Every writer saves the frontier in the transaction that adds the rows, so it matches them unless
    // the file was assembled by other tools.
    this.#frontier = frontier?.size === size ? frontier : rebuildFrontier(this.#db, this.path, size);
  }

  /**
   * Catches up with entries other processes appended since this one last wrote or looked: re-reads the
   * head and the frontier when the last seq moved (one indexed lookup when it did not). size(), head()
   * and root() are as of the last write, sync() or checkpoint() of this instance.
   */
  sync(): this {
    this.#assertOpen();
    this.#db.transaction(() => this.#catchUp())();
    return this;
  }

  /** Inside a transaction: reloads the in-memory head and frontier when another writer moved them. */
  #catchUp(): void {
    const max = this.#maxSeq.get() as number | null;
    const last = max ?? -1;
    const known = this.#frontier.size - 1;
    // Other writers only ever add rows: a ledger with fewer rows than this process has seen, or whose
    // entry at our head changed, was truncated or rewritten under us. Appending on top would write a
    // fork over the evidence, so refuse; the custody check then halts with this cause.
    if (last < known) {
      throw new CodexError(
        "LEDGER_BROKEN",
        `ledger ${this.path} was truncated under this process: it held ${known + 1} entries, it now holds ${last + 1}`,
        {
          hint: "run `maos ledger verify`; restore the ledger from a backup or the auditor's copy before writing to it",
        },
      );
    }
    if (last !== known && known >= 0) {
      const atHead = this.#db.prepare("SELECT entry_hash FROM ledger WHERE seq = ?").pluck().get(known);
      if (atHead !== this.#headHash) {
        throw new CodexError(
          "LEDGER_BROKEN",
          `ledger ${this.path}: the entry at seq ${known} changed under this process (rewritten ledger)`,
          {
            hint: "run `maos ledger verify`; restore the ledger from a backup or the auditor's copy before writing to it",
          },
        );
      }
    }
    if (last !== known) {
      if (max === null) {
        this.#frontier = new MerkleFrontier();
        this.#headHash = ZERO_HASH;
      } else {
        this.#reload(max);
      }
    }
  }

  /**
   * Recomputes the Merkle frontier from every entry_hash (one pass) and checks it against the kept one.
   * Open does this by itself only when the persisted frontier does not match the rows.
   */
  rebuildMerkleState(): void {
    this.#assertOpen();
    const rebuilt = rebuildFrontier(this.#db, this.path, this.size());
    if (rebuilt.rootHex() !== this.#frontier.rootHex()) {
      throw new CodexError(
        "LEDGER_BROKEN",
        `ledger ${this.path}: the persisted Merkle state does not match the rows`,
        {
          hint: "run `maos ledger verify`",
        },
      );
    }
  }

  #writeGenesis(): void {
    this.#db
      .prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING")
      .run(String(LEDGER_SCHEMA_VERSION));
    this.#writeBatch([prepareAppend(genesisAppend(this.origin, this.verifierKey), {}, this.#clock)], {
      genesis: true,
    });
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new CodexError("INTERNAL", "the ledger is closed", {
        hint: "open the ledger again with Ledger.open",
      });
    }
  }

  /**
   * Writes entries in one transaction (one fsync) and advances the chain and the Merkle frontier. The
   * transaction takes SQLite's write lock first (BEGIN IMMEDIATE, waiting up to the busy timeout for
   * another process's), then catches up with what other processes appended, so every process's entries
   * form one chain. A genesis batch writes nothing when another process wrote the genesis first.
   */
  #writeBatch(batch: readonly Prepared[], opts: { genesis?: boolean } = {}): LedgerEntry[] {
    let frontier = this.#frontier;
    let head = this.#headHash;
    const out: LedgerEntry[] = [];
    const run = this.#db.transaction(() => {
      this.#catchUp();
      frontier = this.#frontier.clone();
      head = this.#headHash;
      if (opts.genesis && frontier.size > 0) return;
      const chained = chainBatch(batch, this.environment, frontier, head);
      for (const r of chained.rows) {
        this.#insert.run(r.seq, r.entryHash, r.canonical);
        // Evidence rows commit (or roll back) with the entry that queued them.
        for (const o of r.outbox) this.#insertOutbox.run(r.seq, o.sink, o.body, r.timestampUtc);
      }
      out.push(...chained.entries);
      head = chained.head;
      this.#saveFrontier.run(FRONTIER_KEY, JSON.stringify(frontier.serialize()));
    });
    try {
      run.immediate();
    } catch (cause) {
      throw this.#failed(batch.length, cause);
    }
    // Only a committed transaction moves the in-memory state.
    this.#frontier = frontier;
    this.#headHash = head;
    this.#faults.clear();
    return out;
  }

  /** Records a failed write (telemetry and /health read it) and tells the listeners on the first one. */
  #failed(count: number, cause: unknown): CodexError {
    return this.#faults.failed(this.path, count, cause, utcIso(this.#clock.now()));
  }

  /** The last failed write, until a write succeeds; undefined while writes succeed. */
  writeFault(): LedgerWriteFault | undefined {
    return this.#faults.current;
  }

  /** Called once when writes start failing (again after a success); returns an unsubscribe function. */
  onWriteFault(listener: (fault: LedgerWriteFault) => void): () => void {
    return this.#faults.listen(listener);
  }

  /**
   * Queues an append; every append made before the queue drains (the same event-loop turn) is written in
   * one transaction and one fsync, then each promise resolves with its entry. Invalid input rejects at once.
   */
  append<T extends string>(e: CheckedAppend<T>, opts?: AppendOptions): Promise<LedgerEntry> {
    try {
      this.#assertOpen();
      const prepared = prepareAppend(e, opts ?? {}, this.#clock);
      return new Promise((resolve, reject) => {
        this.#queue.push({ prepared, resolve, reject });
        if (!this.#flushScheduled) {
          this.#flushScheduled = true;
          setImmediate(() => this.#flush());
        }
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const waiters = this.#queue;
    if (waiters.length === 0) return;
    this.#queue = [];
    let entries: LedgerEntry[];
    try {
      entries = this.#writeBatch(waiters.map((w) => w.prepared));
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    waiters.forEach((w, i) => {
      w.resolve(entries[i] as LedgerEntry);
    });
  }

  /** Writes one entry now, in its own transaction; queued appends made earlier are written first, in order. */
  appendSync(e: LedgerAppend, opts?: AppendOptions): LedgerEntry {
    this.#assertOpen();
    return this.#writeNow([prepareAppend(e, opts ?? {}, this.#clock)])[0] as LedgerEntry;
  }

  /** Writes `prepared` now, after the queued appends (whose promises settle with it); returns its entries. */
  #writeNow(prepared: readonly Prepared[]): LedgerEntry[] {
    const waiters = this.#queue;
    this.#queue = [];
    let entries: LedgerEntry[];
    try {
      entries = this.#writeBatch([...waiters.map((w) => w.prepared), ...prepared]);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      throw err;
    }
    waiters.forEach((w, i) => {
      w.resolve(entries[i] as LedgerEntry);
    });
    return entries.slice(waiters.length);
  }

  /**
   * Appends rows another store chained (a replica's mirror of the PostgreSQL ledger, LedgerMirror) after
   * checking that each continues this chain (rowsToReplicate); rows already here must match. One
   * transaction: all or nothing. Returns how many were added.
   */
  appendReplicated(
    rows: readonly LedgerRowTuple[],
    checkpoints: readonly (StoredCheckpoint & { id?: number })[] = [],
  ): number {
    this.#assertOpen();
    const insertCheckpoint = this.#db.prepare(
      "INSERT INTO checkpoints (size, root, note, created_utc) VALUES (?, ?, ?, ?)",
    );
    let frontier = this.#frontier;
    let head = this.#headHash;
    let added = 0;
    const hashAt = this.#db.prepare("SELECT entry_hash FROM ledger WHERE seq = ?").pluck();
    this.#db
      .transaction(() => {
        this.#catchUp();
        const fresh = rowsToReplicate(
          rows,
          this.size(),
          this.#headHash,
          (seq) => hashAt.get(seq) as string | undefined,
          this.path,
        );
        frontier = this.#frontier.clone();
        for (const [seq, h, canonical] of fresh) {
          this.#insert.run(seq, h, canonical);
          frontier.push(h);
          head = h;
        }
        if (fresh.length > 0) this.#saveFrontier.run(FRONTIER_KEY, JSON.stringify(frontier.serialize()));
        // The source's signed checkpoints, kept as it signed them; verification checks each one's root.
        // Each source checkpoint once, however many processes of this replica pull (their ids in meta).
        const copied = this.replicatedCheckpointId();
        let lastId = copied;
        for (const c of checkpoints) {
          if (c.size > frontier.size) break;
          if (c.id !== undefined && c.id <= copied) continue;
          insertCheckpoint.run(c.size, c.root, c.note, c.createdUtc);
          lastId = Math.max(lastId, c.id ?? 0);
        }
        if (lastId > copied)
          this.#db
            .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('mirror_checkpoint_id', ?)")
            .run(String(lastId));
        if (fresh[0]?.[0] === 0) {
          this.#db
            .prepare(
              "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
            )
            .run(String(LEDGER_SCHEMA_VERSION));
          checkGenesisRow(this.#db, this.path, this.verifierKey, this.origin);
        }
        added = fresh.length;
      })
      .immediate();
    if (added > 0) {
      this.#frontier = frontier;
      this.#headHash = head;
    }
    return added;
  }

  /** The source's id of the last checkpoint a replica copied into this file (0: none). */
  replicatedCheckpointId(): number {
    return Number(
      this.#db.prepare("SELECT value FROM meta WHERE key = 'mirror_checkpoint_id'").pluck().get() ?? 0,
    );
  }

  /**
   * Bulk path: many entries in one transaction, through the same canonical/hash code. For imports and
   * benchmarks; queued appends made earlier are written first.
   */
  appendBatchSync(es: readonly LedgerAppend[]): LedgerEntry[] {
    this.#assertOpen();
    return this.#writeNow(es.map((e) => prepareAppend(e, {}, this.#clock)));
  }

  /** Entries written so far, genesis included. */
  size(): number {
    return this.#frontier.size;
  }

  head(): { seq: number; hash: string } {
    return { seq: this.#frontier.size - 1, hash: this.#headHash };
  }

  /** RFC 6962 root (hex) over every entry's hash, current after every commit. */
  root(): string {
    return this.#frontier.rootHex();
  }

  /** The last n entries, oldest first. */
  tail(n: number): LedgerEntry[] {
    this.#assertOpen();
    return tailEntries(this.#db, n);
  }

  /** Every entry of one correlation thread (a run, an incident), oldest first. */
  byCorrelation(id: string): LedgerEntry[] {
    this.#assertOpen();
    return correlationEntries(this.#db, id);
  }

  /** Entries filtered by event type, oldest first unless `newestFirst`; `limit` caps the count. */
  query(filters: LedgerQuery = {}): LedgerEntry[] {
    this.#assertOpen();
    return queryEntries(this.#db, filters);
  }

  /** Payload fields of the newest entries matching `filters`, read by SQLite (see payloadFieldRows). */
  payloadFields(
    filters: Omit<LedgerQuery, "newestFirst"> & { sinceUtc?: string },
    paths: readonly string[],
  ): unknown[][] {
    this.#assertOpen();
    return payloadFieldRows(this.#db, filters, paths);
  }

  /** Signs the current size and root as a C2SP checkpoint, stores it, and returns it. */
  checkpoint(): Checkpoint {
    this.#assertOpen();
    if (this.#queue.length > 0) this.#flush();
    // Signs the ledger as it is now, other processes' entries included, under the write lock: between
    // a catch-up and the insert another process could append and record a larger checkpoint first, and
    // the table would then hold sizes out of order (which verification reports as a custody break).
    let out: Checkpoint | undefined;
    const insert = this.#db.prepare(
      "INSERT INTO checkpoints (size, root, note, created_utc) VALUES (?, ?, ?, ?)",
    );
    this.#db
      .transaction(() => {
        this.#catchUp();
        const size = this.size();
        const root = this.#frontier.root();
        const note = signNote(formatCheckpoint({ origin: this.origin, size, root }), this.#signer);
        const rootHex = root.toString("hex");
        insert.run(size, rootHex, note, utcIso(this.#clock.now()));
        out = { size, root: rootHex, note };
      })
      .immediate();
    return out as Checkpoint;
  }

  latestCheckpoint(): Checkpoint | undefined {
    this.#assertOpen();
    const row = this.#db.prepare("SELECT size, root, note FROM checkpoints ORDER BY id DESC LIMIT 1").get() as
      | Checkpoint
      | undefined;
    return row === undefined ? undefined : { size: row.size, root: row.root, note: row.note };
  }

  /**
   * RFC 6962 consistency proof (hex hashes) from the tree of the first `oldSize` entries to the current
   * tree, for a third party holding an older checkpoint. Reads every entry hash: O(size).
   */
  consistencyProof(oldSize: number): string[] {
    this.#assertOpen();
    return consistencyProofHex(this.#db, oldSize, this.size());
  }

  /** Writes any queued appends, then closes the database. */
  close(): void {
    if (this.#closed) return;
    if (this.#queue.length > 0) this.#flush();
    this.#closed = true;
    this.#db.close();
  }
}
