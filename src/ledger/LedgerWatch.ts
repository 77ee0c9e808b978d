import { hash } from "node:crypto";
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { CodexError, isCodexError } from "../core/CodexError.ts";
import { ZERO_HASH } from "./ledgerEntry.ts";
import { MerkleFrontier } from "./MerkleFrontier.ts";
import { type NoteVerifier, newNoteVerifier } from "./signedNote.ts";
import { verifyLedgerInWorker } from "./verifyInWorker.ts";
import {
  type CheckpointClaim,
  checkCheckpointNote,
  checkSchema,
  type VerifyReport,
  verifyLedgerDetailed,
} from "./verifyLedger.ts";
import {
  Escalate,
  fileId,
  markOf,
  noteKey,
  scanNewRows,
  schemaCookie,
  type Verified,
  verifiedFromMark,
  type WatchMark,
} from "./watchState.ts";

export type { WatchMark } from "./watchState.ts";

/**
 * Heartbeats between full verifications: 60 at the 60 s heartbeat is one full pass an hour (~2-3 s at 1M
 * entries), which bounds how long an edit that no cheap check sees (see LedgerWatch) can go unnoticed.
 */
export const FULL_VERIFY_EVERY = 60;

/**
 * A full pass over a ledger smaller than this runs on the calling thread (under ~50 ms at ~3 µs a row);
 * a larger one runs in a worker thread, so the event loop keeps answering while it runs.
 */
export const INLINE_FULL_ROWS = 16_384;

/** A full pass at least this often (a resumed mark older than this starts with one): an hour, as the heartbeat's. */
export const FULL_VERIFY_MAX_AGE_MS = 60 * 60 * 1000;

/** An incremental call with more new rows than this does a full pass in a worker instead of blocking. */
export const INCREMENTAL_MAX_ROWS = 65_536;

export interface LedgerWatchOptions {
  path: string;
  /** The ledger's verifier key (`name+hex8+base64`), from ledger.vkey: the trust anchor. */
  verifierKey: string;
  /** Calls between full verifications; default FULL_VERIFY_EVERY. 1 makes every call a full one. */
  fullEvery?: number;
  /**
   * Range workers for a full pass that runs in a worker thread (see VerifyOptions); default 0: one
   * background thread, so on a 2-core machine the event loop keeps a core while the pass runs.
   */
  workers?: number;
  /** Also re-canonicalise every entry checked (see VerifyOptions). */
  deep?: boolean;
  /** Full passes over fewer rows run on the calling thread; default INLINE_FULL_ROWS (0: always a worker). */
  inlineBelow?: number;
  /**
   * What an earlier watch verified (possibly in another process), to continue from instead of starting
   * with a full pass. Every cheap check still runs at the first call, and any doubt makes it a full one.
   */
  resume?: WatchMark;
  /** Called after each verification that passed, with the state to resume from (to persist it). */
  onVerified?: (mark: WatchMark) => void;
  /** Milliseconds now, stamped into the mark at each full pass (default Date.now). */
  now?: () => number;
  /** A call more than this long after the last full pass is a full one; default FULL_VERIFY_MAX_AGE_MS. */
  fullMaxAgeMs?: number;
}

export interface LedgerWatchReport extends VerifyReport {
  /** "full": verifyLedger ran over every row; "incremental": only what changed since the last call. */
  mode: "full" | "incremental";
  /** Why this call was a full one. */
  fullReason?: string;
  /** When the last full pass over every row passed (ms since the epoch, from `now`); unset when none did. */
  lastFullAt?: number;
}

export interface VerifyCallOptions {
  /**
   * false: this call is not made a full pass because one is due by the schedule (every `fullEvery`
   * calls, or the last full pass older than `fullMaxAgeMs`); a first verification, a requested one and
   * any doubt still are. For readers that must answer in the same time whatever the ledger's size
   * (`status` at 1M entries: a full pass is seconds); the heartbeat's calls keep the schedule. Default true.
   */
  periodic?: boolean;
}

/**
 * Incremental ledger verification for the heartbeat: each call checks only the entries and checkpoints
 * added since the last call, so a heartbeat costs O(new entries), plus a full verifyLedger every
 * `fullEvery` calls and whenever something looks changed. Reports agree with verifyLedger's.
 *
 * Every call, in one read transaction:
 * - the file is the same (device and inode) and its SQLite schema cookie has not moved: editing or
 *   deleting a row through SQLite needs the append-only triggers dropped, which bumps the cookie;
 * - the ledger table's definition is this build's, and the genesis row still has its hash and bytes;
 * - the ledger did not shrink, and the row at the last verified head still has the same entry hash,
 *   and its canonical bytes still hash to it (the chain binds every earlier row to that hash);
 * - each new row: contiguous seq, entry hash of its bytes, its own seq and prev_hash in those bytes
 *   (the first new row's prev_hash is the verified head's hash), pushed onto the kept Merkle frontier;
 * - the checkpoint table lost no row, and each new checkpoint (table row or extra note) is signed by
 *   the ledger key, names the origin, is in order, and matches the root rebuilt at its size.
 * Any failure, or a new checkpoint below the verified size, falls back to a full verification, whose
 * report (firstBad and all) is the one returned; while the ledger fails, every call is a full one, so a
 * restored ledger reads ok at the next call.
 *
 * Beyond verifyLedger, the watch remembers the largest verified size and head: a ledger that later has
 * fewer entries, or another entry at that seq, is reported even when no signed checkpoint covers it.
 *
 * What gets past until the next full pass (at most `fullEvery` calls): a row of the verified prefix,
 * other than the genesis and the last verified head, edited by writing the file's bytes directly (a
 * hex editor, or SQLite with the schema cookie restored by hand), since only those rows are re-read.
 * Edits through SQLite, a replaced file, truncation, a rewritten head and anything appended are seen
 * at the next call.
 */
export class LedgerWatch {
  readonly path: string;
  readonly #verifier: NoteVerifier;
  readonly #fullEvery: number;
  readonly #workers: number | undefined;
  readonly #deep: boolean;
  readonly #inlineBelow: number;
  readonly #onVerified: ((mark: WatchMark) => void) | undefined;
  readonly #now: () => number;
  readonly #fullMaxAgeMs: number;
  /** What the last mark handed to onVerified covered, so an unchanged state is not written again. */
  #lastMarkKey = "";
  /** Calls run one at a time: a call made during a full pass waits for it and continues from its state. */
  #queue: Promise<unknown> = Promise.resolve();
  #verified: Verified | undefined;
  #callsSinceFull = 0;
  #fullRequested: string | undefined;
  /** The largest size and the head verified so far: what must never disappear or change. */
  #highWater: { size: number; headSeq: number; headHash: string } | undefined;

  constructor(opts: LedgerWatchOptions) {
    this.path = opts.path;
    this.#verifier = newNoteVerifier(opts.verifierKey);
    const every = opts.fullEvery ?? FULL_VERIFY_EVERY;
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new CodexError("CONFIG_INVALID", `fullEvery must be a whole number ≥ 1, not ${every}`, {
        hint: "pass fullEvery: 1 for a full verification on every call",
      });
    }
    this.#fullEvery = every;
    this.#workers = opts.workers;
    this.#deep = opts.deep ?? false;
    this.#inlineBelow = opts.inlineBelow ?? INLINE_FULL_ROWS;
    this.#onVerified = opts.onVerified;
    this.#now = opts.now ?? Date.now;
    this.#fullMaxAgeMs = opts.fullMaxAgeMs ?? FULL_VERIFY_MAX_AGE_MS;
    const resumed = opts.resume ? verifiedFromMark(opts.resume) : undefined;
    if (resumed) {
      this.#verified = resumed;
      this.#raiseHighWater(resumed.size, resumed.headHash);
    }
  }

  #verifiedNow(): void {
    const v = this.#verified;
    if (!v || !this.#onVerified) return;
    const key = `${v.size}:${v.headHash}:${v.table.maxId}:${v.extras.size}:${v.fullAt}`;
    if (key === this.#lastMarkKey) return;
    this.#lastMarkKey = key;
    this.#onVerified(markOf(v));
  }

  /** Makes the next call a full verification. */
  requestFull(reason = "requested"): void {
    this.#fullRequested = reason;
  }

  /**
   * Verifies what changed since the last call (see the class comment); `checkpoints` as in VerifyOptions.
   * A full pass over a large ledger runs in a worker thread; calls are answered in order.
   */
  verify(checkpoints: readonly string[] = [], opts: VerifyCallOptions = {}): Promise<LedgerWatchReport> {
    const next = this.#queue.then(() => this.#verifyNow(checkpoints, opts.periodic ?? true));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #verifyNow(checkpoints: readonly string[], periodic: boolean): Promise<LedgerWatchReport> {
    const state = this.#verified;
    const why =
      this.#fullRequested ??
      (state === undefined
        ? "first verification"
        : !periodic
          ? undefined
          : this.#callsSinceFull + 1 >= this.#fullEvery
            ? `periodic: every ${this.#fullEvery} calls`
            : this.#now() - state.fullAt > this.#fullMaxAgeMs
              ? `periodic: the last full pass was over ${Math.round(this.#fullMaxAgeMs / 60_000)} minutes ago`
              : undefined);
    if (why !== undefined || state === undefined) return this.#full(checkpoints, why ?? "first verification");
    let db: Database.Database | undefined;
    try {
      if (!existsSync(this.path)) return this.#full(checkpoints, "the ledger file is gone");
      db = new Database(this.path, { readonly: true, fileMustExist: true });
      const conn = db;
      const report = conn.transaction(() => this.#incremental(conn, state, checkpoints))();
      this.#callsSinceFull++;
      this.#verifiedNow();
      return report;
    } catch (err) {
      if (err instanceof Escalate) return this.#full(checkpoints, err.message);
      if (isCodexError(err)) throw err;
      throw new CodexError("LEDGER_BROKEN", `cannot read ${this.path} as a MAOS ledger`, {
        hint: "check that MAOS_HOME points at the folder holding ledger.db and that the file is a SQLite database",
        cause: err,
      });
    } finally {
      db?.close();
    }
  }

  #incremental(db: Database.Database, state: Verified, extra: readonly string[]): LedgerWatchReport {
    if (fileId(this.path) !== state.fileId) throw new Escalate("the ledger file was replaced");
    if (schemaCookie(db) !== state.schemaCookie) {
      throw new Escalate("the database schema changed (e.g. the append-only triggers were dropped)");
    }
    const schemaProblem = checkSchema(db, this.path);
    if (schemaProblem) throw new Escalate(schemaProblem);
    const rowAt = db.prepare("SELECT entry_hash, canonical FROM ledger WHERE seq = ?").raw();
    const unchanged = (seq: number, want: string): boolean => {
      const row = rowAt.get(seq) as [unknown, unknown] | undefined;
      return (
        row !== undefined &&
        row[0] === want &&
        typeof row[1] === "string" &&
        hash("sha256", `\0${row[1]}`, "hex") === want
      );
    };
    if (!unchanged(0, state.genesisHash)) throw new Escalate("the genesis entry changed");
    const maxSeq = db.prepare("SELECT max(seq) FROM ledger").pluck().get() as number | null;
    const size = maxSeq === null ? 0 : maxSeq + 1;
    if (size < state.size) throw new Escalate(`the ledger shrank from ${state.size} to ${size} entries`);
    if (size - state.size > INCREMENTAL_MAX_ROWS) {
      throw new Escalate(`${size - state.size} new entries since the last verification`);
    }
    if (!unchanged(state.size - 1, state.headHash)) {
      throw new Escalate(`the entry at seq ${state.size - 1} (the verified head) changed`);
    }

    // New checkpoints, read from this snapshot: their sizes are the roots the scan must keep.
    const oldCount = db
      .prepare("SELECT count(*) FROM checkpoints WHERE id <= ?")
      .pluck()
      .get(state.table.maxId) as number;
    if (oldCount !== state.table.count) throw new Escalate("checkpoint rows were removed");
    const newRows = db
      .prepare("SELECT id, size, root, note FROM checkpoints WHERE id > ? ORDER BY id")
      .raw()
      .all(state.table.maxId) as [number, number, string, string][];
    const claims: CheckpointClaim[] = newRows.map(([id, s, root, note]) =>
      checkCheckpointNote(note, `table id ${id}`, this.#verifier, state.origin, { id, size: s, root }),
    );
    const extraKeys = extra.map(noteKey);
    const extraNew = new Map<string, CheckpointClaim>();
    extra.forEach((note, i) => {
      const key = extraKeys[i] as string;
      if (state.extras.has(key) || extraNew.has(key)) return;
      extraNew.set(key, checkCheckpointNote(note, `extra #${i + 1}`, this.#verifier, state.origin));
    });
    const fresh = [...claims, ...extraNew.values()];
    for (const c of fresh) if (c.problem !== undefined) throw new Escalate(c.problem);
    const wanted = new Set<number>();
    for (const c of fresh) {
      const s = c.size as number;
      if (s > size) throw new Escalate(`a checkpoint at size ${s} is beyond the ${size} entries`);
      if (s < state.size) throw new Escalate(`a new checkpoint at size ${s}, inside the verified prefix`);
      wanted.add(s);
    }

    const frontier = state.frontier.clone();
    const roots = new Map<number, string>();
    if (wanted.has(state.size)) roots.set(state.size, frontier.rootHex());
    const headHash = scanNewRows(db, state, size, frontier, wanted, roots, this.#deep);

    let lastSize = state.table.lastSize;
    for (const c of claims) {
      if (lastSize !== undefined && (c.size as number) < lastSize) {
        throw new Escalate(`checkpoint order: size ${c.size} recorded after size ${lastSize}`);
      }
      lastSize = c.size;
    }
    for (const c of fresh) {
      if (roots.get(c.size as number) !== c.root) {
        throw new Escalate(`checkpoint root mismatch at size ${c.size} (${c.source})`);
      }
    }

    // Everything checked: move the state on.
    const maxGood = claims.reduce((m, c) => Math.max(m, c.size as number), state.table.maxGood);
    const extras = new Map(state.extras);
    for (const [key, c] of extraNew) extras.set(key, c.size as number);
    this.#verified = {
      ...state,
      size,
      headHash,
      frontier,
      table: {
        count: state.table.count + claims.length,
        maxId: claims.reduce((m, c) => Math.max(m, c.tableId as number), state.table.maxId),
        lastSize,
        maxGood,
      },
      extras,
    };
    this.#raiseHighWater(size, headHash);
    const attested = extraKeys.map((k) => extras.get(k) ?? 0).reduce((m, s) => Math.max(m, s), maxGood);
    const report: LedgerWatchReport = {
      ok: true,
      size,
      root: frontier.rootHex(),
      head: { seq: size - 1, hash: headHash },
      checkpointsChecked: state.table.count + claims.length + extra.length,
      unattestedTail: Math.max(0, size - attested),
      mode: "incremental",
      lastFullAt: state.fullAt,
    };
    if (state.origin !== undefined) report.origin = state.origin;
    return report;
  }

  /** verifyLedger over every row, then the state it establishes, and the high-water checks. */
  async #full(extra: readonly string[], reason: string): Promise<LedgerWatchReport> {
    this.#fullRequested = undefined;
    this.#callsSinceFull = 0;
    this.#verified = undefined;
    // Read before the rows, so that a change made during the pass shows at the next call.
    const before = existsSync(this.path) ? this.#identity() : undefined;
    const opts = {
      path: this.path,
      verifierKey: this.#verifier.verifierKey,
      checkpoints: [...extra],
      deep: this.#deep,
    };
    const detail =
      before !== undefined && before.rows >= this.#inlineBelow
        ? await verifyLedgerInWorker({ ...opts, workers: this.#workers ?? 0 }, { background: true })
        : verifyLedgerDetailed({
            ...opts,
            ...(this.#workers !== undefined ? { workers: this.#workers } : {}),
          });
    const report: LedgerWatchReport = { ...detail.report, mode: "full", fullReason: reason };
    const lost = this.#highWaterProblem(report);
    if (lost) {
      if (report.firstBad === undefined || lost.seq < report.firstBad.seq) report.firstBad = lost;
      report.ok = false;
      return report;
    }
    if (!report.ok || !detail.frontier || !before) return report;

    const table = detail.claims.filter((c) => c.tableId !== undefined);
    const extras = new Map<string, number>();
    extra.forEach((note, i) => {
      const c = detail.claims[table.length + i];
      if (c?.size !== undefined) extras.set(noteKey(note), c.size);
    });
    this.#verified = {
      size: report.size,
      headHash: report.head.hash,
      frontier: new MerkleFrontier(report.size, detail.frontier),
      genesisHash: before.genesisHash,
      origin: report.origin,
      fileId: before.fileId,
      schemaCookie: before.schemaCookie,
      table: {
        count: table.length,
        maxId: table.reduce((m, c) => Math.max(m, c.tableId as number), 0),
        lastSize: table.at(-1)?.size,
        maxGood: table.reduce((m, c) => Math.max(m, c.size as number), 0),
      },
      extras,
      fullAt: this.#now(),
    };
    report.lastFullAt = this.#verified.fullAt;
    this.#raiseHighWater(report.size, report.head.hash);
    this.#verifiedNow();
    return report;
  }

  /** The verified ledger must not have lost entries, nor hold another entry at the highest verified head. */
  #highWaterProblem(report: VerifyReport): { seq: number; reason: string } | undefined {
    const hw = this.#highWater;
    if (hw === undefined) return undefined;
    if (report.size < hw.size) {
      return {
        seq: report.size,
        reason: `truncated: ${hw.size} entries were verified earlier, the ledger now has ${report.size}`,
      };
    }
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    try {
      const stored = db.prepare("SELECT entry_hash FROM ledger WHERE seq = ?").pluck().get(hw.headSeq);
      if (stored !== hw.headHash) {
        return {
          seq: hw.headSeq,
          reason: `row edited: the entry at seq ${hw.headSeq} is not the one verified earlier (a rewritten tail?)`,
        };
      }
    } finally {
      db.close();
    }
    return undefined;
  }

  #raiseHighWater(size: number, headHash: string): void {
    if (this.#highWater === undefined || size >= this.#highWater.size) {
      this.#highWater = { size, headSeq: size - 1, headHash };
    }
  }

  #identity(): { fileId: string; schemaCookie: number; genesisHash: string; rows: number } {
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    try {
      const genesis = db.prepare("SELECT entry_hash FROM ledger WHERE seq = 0").pluck().get();
      let rows = 0;
      try {
        rows = ((db.prepare("SELECT max(seq) FROM ledger").pluck().get() as number | null) ?? -1) + 1;
      } catch {
        // Not a ledger: the verification reports what is wrong.
      }
      return {
        rows,
        fileId: fileId(this.path),
        schemaCookie: schemaCookie(db),
        genesisHash: typeof genesis === "string" ? genesis : ZERO_HASH,
      };
    } finally {
      db.close();
    }
  }
}
