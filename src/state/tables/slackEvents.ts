import { PRUNE_EVERY, type TableDeps } from "./table.ts";

/**
 * Slack retries an event at most 3 times within about 5 minutes (immediately, after 1 min, after
 * 5 min); a day of event ids covers that with a wide margin and stays small.
 */
export const EVENT_RETENTION_MS = 24 * 60 * 60 * 1000;

/** `processed_events`: Slack event ids already handled, for the retention window. */
export class SlackEvents {
  readonly #t: TableDeps;
  #insertsSincePrune = 0;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  /**
   * Records an event id as processed. True the first time; false when it was already seen within
   * the retention window (a Slack retry or a duplicate delivery), in which case nothing should be done.
   */
  claim(eventId: string, retentionMs: number = EVENT_RETENTION_MS): boolean {
    const { db, clock } = this.#t;
    const now = clock.now().getTime();
    if (++this.#insertsSincePrune >= PRUNE_EVERY) {
      this.#insertsSincePrune = 0;
      this.prune(retentionMs);
    }
    const row = db.prepare("SELECT seen_ms FROM processed_events WHERE event_id = ?").get(eventId) as
      | { seen_ms: number }
      | undefined;
    if (row && now - row.seen_ms <= retentionMs) return false;
    db.prepare(
      "INSERT INTO processed_events (event_id, seen_ms) VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET seen_ms = excluded.seen_ms",
    ).run(eventId, now);
    return true;
  }

  has(eventId: string): boolean {
    return this.#t.db.prepare("SELECT 1 FROM processed_events WHERE event_id = ?").get(eventId) !== undefined;
  }

  /** Forgets event ids older than the retention window; returns how many. */
  prune(retentionMs: number = EVENT_RETENTION_MS): number {
    const cutoff = this.#t.clock.now().getTime() - retentionMs;
    return this.#t.db.prepare("DELETE FROM processed_events WHERE seen_ms < ?").run(cutoff).changes;
  }
}
