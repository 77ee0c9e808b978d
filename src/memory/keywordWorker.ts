/**
 * The memory's keyword search on its own thread: a read-only connection to memory.db answering
 * { id, sql, params } with the matching item ids. BM25 over a large index is a long synchronous query,
 * and the main thread must stay free to ack Slack (see KeywordReader).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");

parentPort?.on("message", (m: { id: number; sql: string; params: (string | number)[] }) => {
  try {
    const ids = db
      .prepare(m.sql)
      .pluck()
      .all(...m.params) as number[];
    parentPort?.postMessage({ id: m.id, ids });
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
