import type { TableDeps } from "./table.ts";

/** `evidence_threads`: the Slack message each evidence thread hangs from (an incident's first message). */
export class EvidenceThreads {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  get(threadKey: string): { channel: string; ts: string } | undefined {
    return this.#t.db
      .prepare("SELECT channel, ts FROM evidence_threads WHERE thread_key = ?")
      .get(threadKey) as { channel: string; ts: string } | undefined;
  }

  /** The first message wins: a thread, once started, keeps its parent. */
  set(threadKey: string, channel: string, ts: string): void {
    this.#t.db
      .prepare("INSERT OR IGNORE INTO evidence_threads (thread_key, channel, ts) VALUES (?, ?, ?)")
      .run(threadKey, channel, ts);
  }
}
