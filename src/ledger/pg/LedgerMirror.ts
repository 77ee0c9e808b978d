import { CodexError } from "../../core/CodexError.ts";
import type { Ledger } from "../Ledger.ts";
import type { LedgerRowTuple } from "../ledgerSchema.ts";
import type { StoredCheckpoint } from "../ledgerTypes.ts";

/** What a mirror reads from its source (PgLedger is one). */
export interface MirrorSource {
  rowsAfter(after: number, limit: number): Promise<LedgerRowTuple[]>;
  checkpointsAfter(afterId: number): Promise<(StoredCheckpoint & { id: number })[]>;
}

const PAGE = 5_000;

/**
 * A replica's local copy of the shared PostgreSQL ledger in a SQLite file of the usual schema
 * (MAOS_HOME/ledger.db opened with `mirror: true`): `pull()` copies the rows and signed checkpoints the
 * source has and the file lacks, each row checked to continue the chain (Ledger.appendReplicated), so
 * the file is always a verified prefix of the source. On it the synchronous reads, the custody checks,
 * `maos ledger verify` and the memory index work as on a single machine; a fork between the two is a
 * LEDGER_BROKEN naming the seq. Pulls run one at a time.
 */
export class LedgerMirror {
  readonly #local: Ledger;
  readonly #source: MirrorSource;
  #checkpointId: number;
  #pulling: Promise<number> | undefined;

  constructor(local: Ledger, source: MirrorSource, checkpointId = 0) {
    this.#local = local;
    this.#source = source;
    // Resumes where any earlier mirror of this file stopped (another process of this replica, or a restart).
    this.#checkpointId = Math.max(checkpointId, local.replicatedCheckpointId());
  }

  /** The source's checkpoint id copied last: pass it to a later mirror of the same file to resume there. */
  get checkpointId(): number {
    return this.#checkpointId;
  }

  /** Copies what the source has beyond the mirror; returns how many entries were added. */
  pull(): Promise<number> {
    const running = this.#pulling;
    if (running) return running.then(() => this.pull());
    this.#pulling = this.#pullAll().finally(() => {
      this.#pulling = undefined;
    });
    return this.#pulling;
  }

  async #pullAll(): Promise<number> {
    let added = 0;
    for (;;) {
      // From the mirror's own head, so each pull also proves the source still holds that entry.
      const held = this.#local.sync().size();
      const rows = await this.#source.rowsAfter(held - 2, PAGE);
      if (held > 0 && rows[0]?.[0] !== held - 1) {
        throw new CodexError(
          "LEDGER_BROKEN",
          `the ledger mirror ${this.#local.path} holds ${held} entries, but its source has no entry at seq ${held - 1}`,
          {
            hint: "the source ledger lost entries (or this mirror belongs to another): run `maos ledger verify` on both and keep the one that verifies",
          },
        );
      }
      // Checkpoints are read after the rows: a checkpoint signed meanwhile beyond them waits for the next pull.
      const checkpoints = rows.length < PAGE ? await this.#source.checkpointsAfter(this.#checkpointId) : [];
      const last = rows[rows.length - 1];
      const size = last ? last[0] + 1 : this.#local.size();
      // In id order; the first one beyond the copied rows waits, with all after it, for the next pull.
      const beyond = checkpoints.findIndex((c) => c.size > size);
      const ready = beyond < 0 ? checkpoints : checkpoints.slice(0, beyond);
      const fresh = this.#local.appendReplicated(rows, ready);
      added += fresh;
      const lastCheckpoint = ready[ready.length - 1];
      if (lastCheckpoint) this.#checkpointId = Math.max(this.#checkpointId, lastCheckpoint.id);
      if (rows.length < PAGE || fresh === 0) return added;
    }
  }
}
