import { EVENT_RETENTION_MS } from "../../tables/slackEvents.ts";
import { PRUNE_EVERY } from "../../tables/table.ts";
import { type PgTableDeps, q } from "./pgTable.ts";

/** `processed_events` on PostgreSQL: Slack event ids already handled, for the retention window, shared by replicas. */
export class PgSlackEvents {
  readonly #t: PgTableDeps;
  #insertsSincePrune = 0;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  /**
   * Records an event id as processed. True the first time; false when it was already seen within the
   * retention window. One statement: the primary key makes a retry delivered to another replica at the
   * same moment wait for this insert and then find it, so exactly one replica gets true.
   */
  async claim(eventId: string, retentionMs: number = EVENT_RETENTION_MS): Promise<boolean> {
    const now = this.#t.clock.now().getTime();
    if (++this.#insertsSincePrune >= PRUNE_EVERY) {
      this.#insertsSincePrune = 0;
      await this.prune(retentionMs);
    }
    const r = await q(
      this.#t,
      `INSERT INTO processed_events (event_id, seen_ms) VALUES ($1, $2)
       ON CONFLICT (event_id) DO UPDATE SET seen_ms = excluded.seen_ms
         WHERE processed_events.seen_ms < $2::bigint - $3::bigint
       RETURNING 1`,
      [eventId, now, retentionMs],
    );
    return r.rowCount === 1;
  }

  async has(eventId: string): Promise<boolean> {
    const r = await q(this.#t, "SELECT 1 FROM processed_events WHERE event_id = $1", [eventId]);
    return r.rowCount === 1;
  }

  /** Forgets event ids older than the retention window; returns how many. */
  async prune(retentionMs: number = EVENT_RETENTION_MS): Promise<number> {
    const cutoff = this.#t.clock.now().getTime() - retentionMs;
    const r = await q(this.#t, "DELETE FROM processed_events WHERE seen_ms < $1", [cutoff]);
    return r.rowCount ?? 0;
  }
}
