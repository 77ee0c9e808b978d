import { ReadThread } from "../core/readThread.ts";

/** One keyword query: its SQL and parameters; the answer is the matching item ids. */
export interface KeywordQuery {
  sql: string;
  params: (string | number)[];
}

/**
 * Runs the memory's keyword queries on a worker thread holding a read-only connection, so a BM25 query
 * over thousands of items (~100 ms) does not hold the event loop that acks Slack. The writes (sync,
 * reindex) stay on the main connection; WAL lets the worker read every committed item.
 */
export class KeywordReader {
  readonly #thread: ReadThread<KeywordQuery, number[]>;

  constructor(file: string) {
    this.#thread = new ReadThread(
      new URL("./keywordWorker.ts", import.meta.url),
      { file },
      "memory keyword search",
    );
  }

  query(sql: string, params: (string | number)[]): Promise<number[]> {
    return this.#thread.call({ sql, params });
  }

  close(): void {
    void this.#thread.close();
  }
}
