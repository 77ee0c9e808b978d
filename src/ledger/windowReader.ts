import { ReadThread } from "../core/readThread.ts";
import type { LedgerQuery } from "./ledgerTypes.ts";

/** One read of payload fields, as Ledger.payloadFields takes it. */
export interface WindowRequest {
  filters: Omit<LedgerQuery, "newestFirst"> & { sinceUtc?: string };
  paths: readonly string[];
}

/** Each request's rows, in order, and the open runs (openRunCount), from one snapshot. */
export interface WindowRows {
  rows: unknown[][][];
  openRuns: number;
}

/**
 * Reads payload fields of the ledger's recent entries on a worker thread with a read-only connection
 * to the ledger file, so the heartbeat's telemetry window (up to thousands of entries per signal, tens
 * of milliseconds when their pages are cold) never holds the event loop that answers /health and acks
 * Slack. WAL lets it read every committed entry; the requests of one read share a snapshot.
 */
export class WindowReader {
  readonly #thread: ReadThread<WindowRequest[], WindowRows>;

  constructor(file: string) {
    this.#thread = new ReadThread(
      new URL("./windowReaderWorker.ts", import.meta.url),
      { file },
      "reading the ledger's recent entries",
    );
  }

  read(requests: WindowRequest[]): Promise<WindowRows> {
    return this.#thread.call(requests);
  }

  close(): Promise<void> {
    return this.#thread.close();
  }
}
