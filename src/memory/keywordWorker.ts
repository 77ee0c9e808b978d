/**
 * The memory's keyword search on its own thread: a read-only connection to memory.db answering a query
 * with the matching item ids. BM25 over a large index is a long synchronous query, and the main thread
 * must stay free to ack Slack (see KeywordReader).
 */
import { workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { serveReads } from "../core/readThread.ts";
import type { KeywordQuery } from "./KeywordReader.ts";

const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");

serveReads<KeywordQuery, number[]>(
  (q) =>
    db
      .prepare(q.sql)
      .pluck()
      .all(...q.params) as number[],
);
