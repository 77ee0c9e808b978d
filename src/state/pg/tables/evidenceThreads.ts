import { type PgTableDeps, q } from "./pgTable.ts";

/** `evidence_threads` on PostgreSQL: the Slack message each evidence thread hangs from. */
export class PgEvidenceThreads {
  readonly #t: PgTableDeps;

  constructor(t: PgTableDeps) {
    this.#t = t;
  }

  async get(threadKey: string): Promise<{ channel: string; ts: string } | undefined> {
    const r = await q<{ channel: string; ts: string }>(
      this.#t,
      "SELECT channel, ts FROM evidence_threads WHERE thread_key = $1",
      [threadKey],
    );
    return r.rows[0];
  }

  /** The first message wins, whichever replica wrote it: a thread, once started, keeps its parent. */
  async set(threadKey: string, channel: string, ts: string): Promise<void> {
    await q(
      this.#t,
      "INSERT INTO evidence_threads (thread_key, channel, ts) VALUES ($1, $2, $3) ON CONFLICT (thread_key) DO NOTHING",
      [threadKey, channel, ts],
    );
  }
}
