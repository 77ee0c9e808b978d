import { utcIso } from "../../core/timestamps.ts";
import type { TableDeps } from "./table.ts";

/** `run_cancels`: cancel requests written by any process, read by the one running the run between agents. */
export class RunCancels {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  /** Asks the process running `runId` to stop it between agents; false when a request is already on file. */
  request(runId: string, by: string, via: string): boolean {
    return (
      this.#t.db
        .prepare(
          "INSERT OR IGNORE INTO run_cancels (run_id, requested_by, requested_at, via) VALUES (?, ?, ?, ?)",
        )
        .run(runId, by, utcIso(this.#t.clock.now()), via).changes === 1
    );
  }

  /** The cancel request on file for a run, if any. */
  get(runId: string): { by: string; at: string; via: string } | undefined {
    const row = this.#t.db
      .prepare("SELECT requested_by, requested_at, via FROM run_cancels WHERE run_id = ?")
      .get(runId) as { requested_by: string; requested_at: string; via: string } | undefined;
    return row ? { by: row.requested_by, at: row.requested_at, via: row.via } : undefined;
  }
}
