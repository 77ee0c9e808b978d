import { Worker } from "node:worker_threads";

/**
 * Runs the memory's keyword queries on a worker thread holding a read-only connection, so a BM25 query
 * over thousands of items (~100 ms) does not hold the event loop that acks Slack. Started on first use;
 * it keeps the process alive only while a query is pending (a CLI run waiting on it must not exit),
 * and close() stops it. The writes (sync, reindex) stay on the main connection; WAL lets the worker read
 * every committed item.
 */
export class KeywordReader {
  readonly #file: string;
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (ids: number[]) => void; reject: (e: Error) => void }>();

  constructor(file: string) {
    this.#file = file;
  }

  query(sql: string, params: (string | number)[]): Promise<number[]> {
    const worker = this.#start();
    const id = this.#next++;
    worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, sql, params });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./keywordWorker.ts", import.meta.url), {
      workerData: { file: this.#file },
    });
    worker.unref();
    worker.on("message", (m: { id: number; ids?: number[]; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(`memory keyword search failed: ${m.error}`));
      else p.resolve(m.ids ?? []);
    });
    const fail = (err: Error) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.#worker = undefined;
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (this.#pending.size > 0) fail(new Error(`the memory search thread stopped (exit ${code})`));
      this.#worker = undefined;
    });
    this.#worker = worker;
    return worker;
  }

  close(): void {
    void this.#worker?.terminate();
    this.#worker = undefined;
  }
}
