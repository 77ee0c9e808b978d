/**
 * The operational state on SQLite (`MAOS_HOME/state.db`): the shared cases (stateStoreCases.ts, which
 * test/postgres/pgStateStore.test.ts runs on PostgreSQL) against StateStore.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { ManualClock } from "../../src/core/clock.ts";
import { STATE_SCHEMA_VERSION, StateStore } from "../../src/state/StateStore.ts";
import { type StateHarness, type StoreUnderTest, stateCases } from "./stateStoreCases.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "maos-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;

function harness(): StateHarness & { close(): void } {
  const file = path.join(dir, `state-${++files}.db`);
  const clock = new ManualClock();
  let current = StateStore.open(file, clock);
  const api = (s: StateStore): StoreUnderTest => s;
  return {
    store: api(current),
    clock,
    schemaVersion: STATE_SCHEMA_VERSION,
    async reopen() {
      current.close();
      current = StateStore.open(file, clock);
      return current;
    },
    async markNewer() {
      current.close();
      const db = new Database(file);
      db.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`);
      db.close();
    },
    async open() {
      current = StateStore.open(file, clock);
      return current;
    },
    close: () => current.close(),
  };
}

describe("StateStore (SQLite)", () => {
  for (const c of stateCases) {
    test(c.name, async () => {
      const h = harness();
      try {
        await c.run(h);
      } finally {
        h.close();
      }
    });
  }
});
