import { utcIso } from "../../../core/timestamps.ts";
import { type PgTableDeps, q } from "./pgTable.ts";

/** `run_cancels` on PostgreSQL: cancel requests written by any replica, read by the one running the run. */
export class PgRunCancels {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  /** Asks whoever runs `runId` to stop it between agents; false when a request is already on file. */
  async request(runId: string, by: string, via: string): Promise<boolean> {
    const r = await q(
      this.#t,
      "INSERT INTO run_cancels (run_id, requested_by, requested_at, via) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING",
      [runId, by, utcIso(this.#t.clock.now()), via],
    );
    return r.rowCount === 1;
  }

  /** The cancel request on file for a run, if any. */
  async get(runId: string): Promise<{ by: string; at: string; via: string } | undefined> {
    const r = await q<{ requested_by: string; requested_at: string; via: string }>(
      this.#t,
      "SELECT requested_by, requested_at, via FROM run_cancels WHERE run_id = $1",
      [runId],
    );
    const row = r.rows[0];
    return row ? { by: row.requested_by, at: row.requested_at, via: row.via } : undefined;
  }
}
