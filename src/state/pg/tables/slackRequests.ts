import { PRUNE_EVERY } from "../../tables/table.ts";
import { type PgTableDeps, q } from "./pgTable.ts";

/** `slack_requests` on PostgreSQL: signed requests and trigger ids seen in the replay window, shared by replicas. */
export class PgSlackRequests {
  readonly #t: PgTableDeps;
  #requestsSincePrune = 0;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  /**
   * Records one Slack request key for the replay window. `first` is true the first time within
   * `windowMs`; otherwise the key's replay count is incremented and returned. One upsert under the key's
   * row lock: replicas receiving the same request at once are serialized by it, and only one is first.
   */
  async claim(key: string, windowMs: number): Promise<{ first: boolean; replays: number }> {
    const now = this.#t.clock.now().getTime();
    if (++this.#requestsSincePrune >= PRUNE_EVERY) {
      this.#requestsSincePrune = 0;
      await q(this.#t, "DELETE FROM slack_requests WHERE seen_ms < $1", [now - windowMs]);
    }
    // Seen before the window began: a fresh first sighting (count from 0 again); else one more replay.
    const r = await q<{ replays: number }>(
      this.#t,
      `INSERT INTO slack_requests (key, seen_ms, replays) VALUES ($1, $2, 0)
       ON CONFLICT (key) DO UPDATE SET
         seen_ms = CASE WHEN slack_requests.seen_ms < $2::bigint - $3::bigint THEN excluded.seen_ms ELSE slack_requests.seen_ms END,
         replays = CASE WHEN slack_requests.seen_ms < $2::bigint - $3::bigint THEN 0 ELSE slack_requests.replays + 1 END
       RETURNING replays`,
      [key, now, windowMs],
    );
    const replays = r.rows[0]?.replays ?? 0;
    return { first: replays === 0, replays };
  }
}
