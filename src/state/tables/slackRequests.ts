import { PRUNE_EVERY, type TableDeps } from "./table.ts";

/** `slack_requests`: signed requests and trigger ids seen in the replay window (issue 12). */
export class SlackRequests {
  readonly #t: TableDeps;
  #requestsSincePrune = 0;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  /**
   * Records one Slack request key (a signature or a trigger id) for the replay window. `first` is true
   * the first time within `windowMs`; otherwise the key's replay count is incremented and returned, so
   * the caller can record the first replay and only count the rest.
   */
  claim(key: string, windowMs: number): { first: boolean; replays: number } {
    const { db, clock } = this.#t;
    const now = clock.now().getTime();
    return db.transaction(() => {
      if (++this.#requestsSincePrune >= PRUNE_EVERY) {
        this.#requestsSincePrune = 0;
        db.prepare("DELETE FROM slack_requests WHERE seen_ms < ?").run(now - windowMs);
      }
      const row = db.prepare("SELECT seen_ms, replays FROM slack_requests WHERE key = ?").get(key) as
        | { seen_ms: number; replays: number }
        | undefined;
      if (row && now - row.seen_ms <= windowMs) {
        db.prepare("UPDATE slack_requests SET replays = replays + 1 WHERE key = ?").run(key);
        return { first: false, replays: row.replays + 1 };
      }
      db.prepare(
        "INSERT INTO slack_requests (key, seen_ms, replays) VALUES (?, ?, 0) ON CONFLICT (key) DO UPDATE SET seen_ms = excluded.seen_ms, replays = 0",
      ).run(key, now);
      return { first: true, replays: 0 };
    })();
  }
}
