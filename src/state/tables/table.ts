import type Database from "better-sqlite3";
import type { Clock } from "../../core/clock.ts";

/** The database as the tables use it: prepare() keeps each statement (see cachedStatements). */
export interface TableDb {
  prepare(sql: string): Database.Statement;
  transaction: Database.Database["transaction"];
}

/** What every table module is built from: the open database and the clock its timestamps come from. */
export interface TableDeps {
  db: TableDb;
  clock: Clock;
}

/** Expired keys are swept on every this-many inserts rather than on each one. */
export const PRUNE_EVERY = 256;

/**
 * `db` with each SQL text compiled once and its statement kept: better-sqlite3 compiles on every
 * prepare(), which cost as much as the statement's own work on the Slack ack path (a replay-window
 * claim took 99 µs, 48 µs with kept statements). Every table's SQL is a constant, so the cache holds a
 * few dozen statements; none is iterated, so a kept statement is never busy when it is used again.
 */
export function cachedStatements(db: Database.Database): TableDb {
  const kept = new Map<string, Database.Statement>();
  return {
    prepare(sql) {
      let statement = kept.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        kept.set(sql, statement);
      }
      return statement;
    },
    transaction: (fn) => db.transaction(fn),
  };
}
