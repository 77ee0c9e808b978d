import type Database from "better-sqlite3";
import type { Clock } from "../../core/clock.ts";

/** What every table module is built from: the open database and the clock its timestamps come from. */
export interface TableDeps {
  db: Database.Database;
  clock: Clock;
}

/** Expired keys are swept on every this-many inserts rather than on each one. */
export const PRUNE_EVERY = 256;
