import { parentPort, Worker } from "node:worker_threads";

/**
 * A worker thread that answers one kind of read (a long synchronous SQLite query on a read-only
 * connection of its own), so the main thread stays free to answer /health and ack Slack. Started on
 * first use; it keeps the process alive only while a call is pending (a CLI waiting on it must not
 * exit), and close() stops it. The worker's module calls serveReads with its handler.
 */
export class ReadThread<Req, Res> {
  readonly #url: URL;
  readonly #data: unknown;
  /** What it reads, for errors: "the memory's keyword search". */
  readonly #what: string;
  #worker: Worker | undefined;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (res: Res) => void; reject: (e: Error) => void }>();

  constructor(url: URL, workerData: unknown, what: string) {
    this.#url = url;
    this.#data = workerData;
    this.#what = what;
  }

  call(req: Req): Promise<Res> {
    const worker = this.#start();
    const id = this.#next++;
    worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, req });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#url, { workerData: this.#data });
    worker.unref();
    worker.on("message", (m: { id: number; res?: Res; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new Error(`${this.#what} failed: ${m.error}`));
      else p.resolve(m.res as Res);
    });
    const fail = (err: Error) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.#worker = undefined;
    };
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (this.#pending.size > 0) fail(new Error(`the thread for ${this.#what} stopped (exit ${code})`));
      this.#worker = undefined;
    });
    this.#worker = worker;
    return worker;
  }

  /**
   * Stops the thread; resolves once it has ended, its connection closed with it. A caller closing the
   * file's own connection next awaits this: the last connection to close is the one that checkpoints
   * and removes the WAL, and a read-only one cannot.
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }
}

/** The worker's side: answers each call with `handle(req)`, or the error's message. */
export function serveReads<Req, Res>(handle: (req: Req) => Res): void {
  parentPort?.on("message", (m: { id: number; req: Req }) => {
    try {
      parentPort?.postMessage({ id: m.id, res: handle(m.req) });
    } catch (err) {
      parentPort?.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
