import { utcIso } from "../../core/timestamps.ts";
import type { StateKey } from "../stateKey.ts";
import type { TableDeps } from "./table.ts";

/** `autonomy_kv`: small current values (SRR state, last band, leases, marks), JSON-encoded, by typed key. */
export class Values {
  readonly #t: TableDeps;

  constructor(t: TableDeps) {
    this.#t = t;
  }

  get<T>(key: StateKey<T>): T | undefined {
    return this.read(key) as T | undefined;
  }

  set<T>(key: StateKey<T>, value: T): void {
    this.write(key, value);
  }

  delete(key: StateKey<unknown>): void {
    this.remove(key);
  }

  /** The typed form of `modify`. */
  update<T>(key: StateKey<T>, decide: (current: T | undefined) => T | undefined): boolean {
    return this.modify(key, decide as (current: unknown) => unknown);
  }

  /**
   * A compare-and-set: reads the key's value, asks `decide` for the next one (undefined: leave it), and
   * writes it, in one write transaction (BEGIN IMMEDIATE), so no other process writes between. The same
   * call as PgValues.modify on PostgreSQL. True when this call wrote.
   */
  modify(key: string, decide: (current: unknown) => unknown): boolean {
    return this.#t.db
      .transaction(() => {
        const next = decide(this.read(key));
        if (next === undefined) return false;
        this.write(key, next);
        return true;
      })
      .immediate();
  }

  /** By a plain string key: the value's type is the caller's word (StateStore.getValue). */
  read(key: string): unknown {
    const row = this.#t.db.prepare("SELECT value FROM autonomy_kv WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  write(key: string, value: unknown): void {
    this.#t.db
      .prepare(
        "INSERT INTO autonomy_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      )
      .run(key, JSON.stringify(value), utcIso(this.#t.clock.now()));
  }

  remove(key: string): void {
    this.#t.db.prepare("DELETE FROM autonomy_kv WHERE key = ?").run(key);
  }
}
