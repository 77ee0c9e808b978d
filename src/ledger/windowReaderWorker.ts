/**
 * The telemetry window's reads on their own thread: a read-only connection to the ledger file answering
 * a list of requests with each one's payload fields (payloadFieldRows) and the open runs, all from one
 * snapshot. Read cold, a busy window is thousands of entries' pages, and the main thread must stay free
 * for /health and Slack's acks (see WindowReader).
 */
import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { serveReads } from "../core/readThread.ts";
import { lowerThreadPriority } from "../core/threadPriority.ts";
import { payloadFieldRows, queryEntries } from "./ledgerQueries.ts";
import { openRunCount } from "./openRuns.ts";
import type { WindowRequest, WindowRows } from "./windowReader.ts";

// The heartbeat waits for this read; /health and the acks do not, and go first.
lowerThreadPriority();
const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
const snapshot = db.transaction(
  (requests: WindowRequest[]): WindowRows => ({
    rows: requests.map((r) => payloadFieldRows(db, r.filters, r.paths)),
    openRuns: openRunCount((filters) => queryEntries(db, filters)),
  }),
);

serveReads<WindowRequest[], WindowRows>((requests) => snapshot(requests));
