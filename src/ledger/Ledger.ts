import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CodexError } from "../core/CodexError.ts";
import type { Clock } from "../core/clock.ts";
import { chicagoIso, utcIso } from "../core/timestamps.ts";
import {
  assertEntryText,
  assertLevel,
  canonicalEntry,
  canonicalPayload,
  entryFromCanonical,
  entryHash,
  type LedgerAppend,
  type LedgerEntry,
  type Level,
  ZERO_HASH,
} from "./ledgerEntry.ts";
import {
  LEDGER_COLUMNS,
  LEDGER_SCHEMA_SQL,
  LEDGER_SCHEMA_VERSION,
  LEDGER_TABLE_SQL,
  type LedgerRowTuple,
} from "./ledgerSchema.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import { consistencyProof } from "./merkle.ts";
import { formatCheckpoint, type NoteSigner, signNote } from "./signedNote.ts";

export type { LedgerAppend, LedgerEntry, Level } from "./ledgerEntry.ts";

export interface LedgerOptions {
  path: string;
  signer: NoteSigner;
  clock: Clock;
  environment: string;
  /** The checkpoint origin line, e.g. "maos-codex/ledger/production". */
  origin: string;
}

/** A signed tlog-checkpoint over the first `size` entries; `root` is hex, `note` the signed note text. */
export interface Checkpoint {
  size: number;
  root: string;
  note: string;
}

export interface LedgerQuery {
  eventType?: string;
  limit?: number;
  newestFirst?: boolean;
  /** Only entries with a seq above this one (a range on the primary key: costs what it returns). */
  afterSeq?: number;
}

/** A row for the evidence outbox, inserted with its ledger entry (see OUTBOX_SCHEMA_SQL). */
export interface OutboxInsert {
  sink: string;
  /** The item as JSON text. */
  body: string;
}

export interface AppendOptions {
  /** Outbox rows written in the same transaction as the entry, referencing its seq. */
  outbox?: readonly OutboxInsert[];
}

/** An append validated and stamped at call time, waiting for its seq and hashes. */
interface Prepared {
  id: string;
  timestampUtc: string;
  timestampCt: string;
  eventType: string;
  level: Level;
  actorIdentity: string;
  payloadJson: string;
  correlationId: string;
  sealVersion: string | null;
  outbox: readonly OutboxInsert[];
}

/** The last failed write, kept until a write succeeds: what /health, telemetry and SRR report. */
export interface LedgerWriteFault {
  /** When it failed (the injected clock). */
  at: string;
  /** The full message: what could not be written, where, and SQLite's own error. */
  message: string;
  /** SQLite's error code (SQLITE_BUSY, SQLITE_FULL, SQLITE_READONLY, …) when it gave one. */
  sqliteCode: string | undefined;
  /** Consecutive failed batches since the last successful one. */
  failures: number;
}

/** How long a writer waits for another process's write transaction before its own write fails. */
export const LEDGER_BUSY_TIMEOUT_MS = 5_000;

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
  #frontier: MerkleFrontier;
  #headHash: string;
  #queue: Waiter[] = [];
  #flushScheduled = false;
  #closed = false;
  #fault: LedgerWriteFault | undefined;
  readonly #faultListeners = new Set<(fault: LedgerWriteFault) => void>();
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
    assertEntryText("environment", opts.environment);
    assertEntryText("origin", opts.origin);
    if (opts.origin.includes("\n")) {
      throw new CodexError("CONFIG_INVALID", "the ledger origin must be a single line", {
        hint: "use an origin such as maos-codex/ledger/production",
      });
    }
    if (opts.path !== ":memory:") mkdirSync(dirname(opts.path), { recursive: true });
    let db: Database.Database | undefined;
    let version: string | undefined;
    try {
      db = new Database(opts.path);
      // Other processes (the bot, CLI commands) write the same file: wait for their short transactions.
      db.pragma(`busy_timeout = ${LEDGER_BUSY_TIMEOUT_MS}`);
      version = readSchemaVersion(db);
    } catch (cause) {
      db?.close();
      throw new CodexError("LEDGER_BROKEN", `cannot open the ledger database ${opts.path}`, {
        hint: "check that MAOS_HOME is writable and that the file is a SQLite database",
        cause,
      });
    }
    let ledger: Ledger;
    try {
      // Checked before anything is written (even the journal mode), so a file of another version stays as it was.
      assertSchemaVersion(version, opts.path);
      createSchema(db, opts.path);
      ledger = new Ledger(opts, db);
      ledger.#load();
    } catch (err) {
      db.close();
      throw err;
    }
    return ledger;
  }

  #load(): void {
    if (this.#db.prepare("SELECT 1 FROM ledger LIMIT 1").get() === undefined) {
      // Two processes may open a fresh home at once: the genesis is written under the write lock, by
      // whichever gets it first; the other finds it there (#writeBatch re-reads the head inside the lock).
      this.#writeGenesis();
    } else {
      // One read transaction: the head, the saved frontier and the rows are one snapshot, whatever other
      // processes append meanwhile.
      this.#db.transaction(() => this.#catchUp())();
    }
    this.#checkGenesis();
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
    this.#frontier = frontier?.size === size ? frontier : this.#rebuildFrontier(size);
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
    const rebuilt = this.#rebuildFrontier(this.size());
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

  #rebuildFrontier(size: number): MerkleFrontier {
    const f = new MerkleFrontier();
    const rows = this.#db
      .prepare("SELECT seq, entry_hash FROM ledger ORDER BY seq")
      .raw()
      .iterate() as IterableIterator<[number, string]>;
    for (const [seq, h] of rows) {
      if (seq !== f.size) {
        throw new CodexError(
          "LEDGER_BROKEN",
          `ledger ${this.path} has a gap: expected seq ${f.size}, found ${seq}`,
          {
            hint: "run `maos ledger verify` and restore the ledger from a backup",
          },
        );
      }
      if (!/^[0-9a-f]{64}$/.test(h)) {
        throw new CodexError(
          "LEDGER_BROKEN",
          `ledger ${this.path}: entry_hash at seq ${seq} is not a hex hash`,
          {
            hint: "run `maos ledger verify` and restore the ledger from a backup",
          },
        );
      }
      f.push(h);
    }
    if (f.size !== size) throw new CodexError("LEDGER_BROKEN", `ledger ${this.path} lost rows while opening`);
    return f;
  }

  #writeGenesis(): void {
    this.#db
      .prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING")
      .run(String(LEDGER_SCHEMA_VERSION));
    const payload = {
      schemaVersion: LEDGER_SCHEMA_VERSION,
      origin: this.origin,
      publicKey: this.verifierKey,
      createdBy: "maos-codex",
    };
    this.#writeBatch(
      [
        this.#prepare({
          eventType: "GENESIS",
          level: "info",
          actor: "maos-codex",
          payload,
          correlationId: "genesis",
          sealVersion: null,
        }),
      ],
      { genesis: true },
    );
  }

  #checkGenesis(): void {
    // Read from the hashed bytes, not from the generated columns.
    const canonical = this.#db.prepare("SELECT canonical FROM ledger WHERE seq = 0").pluck().get();
    let genesis: { event_type?: unknown; payload?: { publicKey?: unknown; origin?: unknown } } | undefined;
    try {
      genesis = typeof canonical === "string" ? JSON.parse(canonical) : undefined;
    } catch {
      genesis = undefined;
    }
    const payload = genesis?.payload;
    if (genesis?.event_type !== "GENESIS" || typeof payload !== "object" || payload === null) {
      throw new CodexError("LEDGER_BROKEN", `ledger ${this.path} has no valid genesis entry at seq 0`, {
        hint: "run `maos ledger verify`; restore the ledger from a backup",
      });
    }
    if (payload.publicKey !== this.verifierKey) {
      throw new CodexError(
        "LEDGER_BROKEN",
        `ledger ${this.path} was created with key ${String(payload.publicKey)}, not ${this.verifierKey}`,
        {
          hint: "start with the ledger's own key (MAOS_HOME/ledger.key or MAOS_LEDGER_KEY); keys cannot be rotated in place",
        },
      );
    }
    if (payload.origin !== this.origin) {
      throw new CodexError(
        "CONFIG_INVALID",
        `ledger ${this.path} has origin ${JSON.stringify(payload.origin)}, not ${JSON.stringify(this.origin)}`,
        { hint: "keep the origin the ledger was created with, or point MAOS_HOME at a fresh folder" },
      );
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new CodexError("INTERNAL", "the ledger is closed", {
        hint: "open the ledger again with Ledger.open",
      });
    }
  }

  /** Validates and stamps an append now, so the entry carries the time it was requested. */
  #prepare(e: LedgerAppend, opts: AppendOptions = {}): Prepared {
    assertEntryText("eventType", e.eventType);
    assertEntryText("actor", e.actor);
    assertEntryText("correlationId", e.correlationId);
    assertEntryText("sealVersion", e.sealVersion, { nullable: true });
    const level = e.level ?? "info";
    assertLevel(level);
    const payloadJson = canonicalPayload(e.payload === undefined ? {} : e.payload);
    const outbox = opts.outbox ?? [];
    for (const o of outbox) {
      if (typeof o.sink !== "string" || o.sink === "" || typeof o.body !== "string") {
        throw new CodexError("INTERNAL", "an outbox row needs a sink name and a text body", {
          hint: "pass { sink, body } with body as JSON text",
        });
      }
    }
    const now = this.#clock.now();
    return {
      id: randomUUID(),
      timestampUtc: utcIso(now),
      timestampCt: chicagoIso(now),
      eventType: e.eventType,
      level,
      actorIdentity: e.actor,
      payloadJson,
      correlationId: e.correlationId,
      sealVersion: e.sealVersion ?? null,
      outbox,
    };
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
      for (const p of batch) {
        const seq = frontier.size;
        const canonical = canonicalEntry(
          seq,
          p.id,
          p.timestampUtc,
          p.timestampCt,
          p.eventType,
          p.level,
          p.actorIdentity,
          p.payloadJson,
          p.correlationId,
          p.sealVersion,
          this.environment,
          head,
        );
        const h = entryHash(canonical);
        this.#insert.run(seq, h, canonical);
        // Evidence rows commit (or roll back) with the entry that queued them.
        for (const o of p.outbox) this.#insertOutbox.run(seq, o.sink, o.body, p.timestampUtc);
        out.push({
          seq,
          id: p.id,
          timestampUtc: p.timestampUtc,
          timestampCt: p.timestampCt,
          eventType: p.eventType,
          level: p.level,
          actorIdentity: p.actorIdentity,
          payload: JSON.parse(p.payloadJson),
          correlationId: p.correlationId,
          sealVersion: p.sealVersion,
          environment: this.environment,
          prevHash: head,
          entryHash: h,
        });
        frontier.push(h);
        head = h;
      }
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
    this.#fault = undefined;
    return out;
  }

  /** Records a failed write (telemetry and /health read it) and tells the listeners on the first one. */
  #failed(count: number, cause: unknown): CodexError {
    const { message, hint, sqliteCode } = describeWriteError(this.path, count, cause);
    const first = this.#fault === undefined;
    this.#fault = {
      at: utcIso(this.#clock.now()),
      message,
      sqliteCode,
      failures: (this.#fault?.failures ?? 0) + 1,
    };
    if (first) {
      for (const listener of this.#faultListeners) {
        try {
          listener(this.#fault);
        } catch {
          // A listener's failure must not hide the write error from the caller.
        }
      }
    }
    return new CodexError("LEDGER_BROKEN", message, {
      hint,
      cause,
      details: { path: this.path, sqliteCode },
    });
  }

  /** The last failed write, until a write succeeds; undefined while writes succeed. */
  writeFault(): LedgerWriteFault | undefined {
    return this.#fault;
  }

  /** Called once when writes start failing (again after a success); returns an unsubscribe function. */
  onWriteFault(listener: (fault: LedgerWriteFault) => void): () => void {
    this.#faultListeners.add(listener);
    return () => this.#faultListeners.delete(listener);
  }

  /**
   * Queues an append; every append made before the queue drains (the same event-loop turn) is written in
   * one transaction and one fsync, then each promise resolves with its entry. Invalid input rejects at once.
   */
  append(e: LedgerAppend, opts?: AppendOptions): Promise<LedgerEntry> {
    try {
      this.#assertOpen();
      const prepared = this.#prepare(e, opts);
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
    const prepared = this.#prepare(e, opts);
    const waiters = this.#queue;
    this.#queue = [];
    let entries: LedgerEntry[];
    try {
      entries = this.#writeBatch([...waiters.map((w) => w.prepared), prepared]);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      throw err;
    }
    waiters.forEach((w, i) => {
      w.resolve(entries[i] as LedgerEntry);
    });
    return entries[entries.length - 1] as LedgerEntry;
  }

  /**
   * Bulk path: many entries in one transaction, through the same canonical/hash code. For imports and
   * benchmarks; queued appends made earlier are written first.
   */
  appendBatchSync(es: readonly LedgerAppend[]): LedgerEntry[] {
    this.#assertOpen();
    const prepared = es.map((e) => this.#prepare(e));
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
    const limit = Math.max(0, Math.floor(n));
    const rows = this.#db
      .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger ORDER BY seq DESC LIMIT ?`)
      .raw()
      .all(limit) as LedgerRowTuple[];
    return rows.reverse().map(toEntry);
  }

  /** Every entry of one correlation thread (a run, an incident), oldest first. */
  byCorrelation(id: string): LedgerEntry[] {
    this.#assertOpen();
    const rows = this.#db
      .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger WHERE (correlation_id || '') = ? ORDER BY seq`)
      .raw()
      .all(id) as LedgerRowTuple[];
    return rows.map(toEntry);
  }

  /** Entries filtered by event type, oldest first unless `newestFirst`; `limit` caps the count. */
  query(filters: LedgerQuery = {}): LedgerEntry[] {
    this.#assertOpen();
    const order = filters.newestFirst ? "DESC" : "ASC";
    // SQLite reads LIMIT -1 as "no limit".
    const limit = filters.limit === undefined ? -1 : Math.max(0, Math.floor(filters.limit));
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filters.afterSeq !== undefined) {
      conditions.push("seq > ?");
      params.push(Math.floor(filters.afterSeq));
    }
    if (filters.eventType !== undefined) {
      conditions.push("(event_type || '') = ?");
      params.push(filters.eventType);
    }
    params.push(limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
    const rows = this.#db
      .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger ${where} ORDER BY seq ${order} LIMIT ?`)
      .raw()
      .all(...params) as LedgerRowTuple[];
    return rows.map(toEntry);
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
    const size = this.size();
    const hashes = (
      this.#db
        .prepare("SELECT entry_hash FROM ledger WHERE seq < ? ORDER BY seq")
        .pluck()
        .all(size) as string[]
    ).map((h) => Buffer.from(h, "hex"));
    return consistencyProof(oldSize, hashes).map((b) => b.toString("hex"));
  }

  /** Writes any queued appends, then closes the database. */
  close(): void {
    if (this.#closed) return;
    if (this.#queue.length > 0) this.#flush();
    this.#closed = true;
    this.#db.close();
  }
}

/** SQLite's error, said plainly: what failed, where, and what to do about that particular cause. */
function describeWriteError(
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

function toEntry(r: LedgerRowTuple): LedgerEntry {
  return entryFromCanonical(r[2], r[1]);
}

function readSchemaVersion(db: Database.Database): string | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  return hasMeta
    ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined)
    : undefined;
}

function assertSchemaVersion(version: string | undefined, path: string): void {
  if (version !== undefined && Number(version) !== LEDGER_SCHEMA_VERSION) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${path} has schema version ${version}; this build reads ${LEDGER_SCHEMA_VERSION}`,
      {
        hint: "a ledger is never rewritten in place: move ledger.db aside (verify it with the MAOS Codex version that wrote it) and let this build start a fresh one, or point MAOS_HOME at a fresh folder",
        details: { path, version, supported: LEDGER_SCHEMA_VERSION },
      },
    );
  }
}

/** Sets the journal, creates what is missing, and checks that the ledger table is this version's. */
function createSchema(db: Database.Database, path: string): void {
  try {
    db.pragma("journal_mode = WAL");
    // FULL: every commit is fsynced, so a resolved append survives power loss.
    db.pragma("synchronous = FULL");
    db.exec(LEDGER_SCHEMA_SQL);
  } catch (cause) {
    throw new CodexError("LEDGER_BROKEN", `cannot create the ledger tables in ${path}`, {
      hint: "check that MAOS_HOME is writable and that the file is a MAOS ledger",
      cause,
    });
  }
  const table = db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger'")
    .pluck()
    .get();
  if (table !== LEDGER_TABLE_SQL) {
    throw new CodexError(
      "LEDGER_BROKEN",
      `ledger ${path}: the ledger table is not the schema ${LEDGER_SCHEMA_VERSION} layout`,
      {
        hint: "the file was made by another version or edited by hand; run `maos ledger verify`, or point MAOS_HOME at a fresh folder",
      },
    );
  }
}
